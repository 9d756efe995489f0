//! `installer.dr-certificate`: With DR each side would otherwise generate an unrelated
//! self-signed certificate, and existing system-agents fail TLS verification after DNS switches
//! to the standby. The thirdParty chain must cover the platform domain and both VIPs (seed 000,
//! DR Certificate Requirement).

use super::describe;
use super::installer_common::requests;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;

pub struct DrCertificate;

impl Rule for DrCertificate {
    describe!(
        "installer.dr-certificate",
        "a DR installation uses a thirdParty console certificate, not a self-signed one",
        why: "With DR each side would otherwise generate an unrelated self-signed certificate, \
              and existing system-agents fail TLS verification after DNS switches to the \
              standby. The thirdParty chain must cover the platform domain and both VIPs \
              (seed 000, DR Certificate Requirement).",
        example: "\"cert\": {\"thirdParty\": {\"crt\": \"<base64 chain>\", \"key\": \"<base64 key>\"}}",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        if !context.dr {
            return;
        }
        for request in requests(set) {
            let cert = ["console", "cert"];
            let third_party = request
                .field(&[&cert[..], &["thirdParty"]].concat())
                .is_some();
            if !third_party {
                sink.field(
                    request,
                    &[&cert[..], &["selfSigned"]].concat(),
                    "DR with a self-signed console certificate: agents fail TLS after failover",
                    "replace console.cert with a thirdParty block trusted by both sides",
                );
            }
        }
    }
}
