//! `apprelease.ingress-tls`: during bootstrap the ALB serves https://<HOST_IP>:12443 with the
//! certificate of the Secret named in `global.ingress.tls.secretName`; the hosts verify it
//! against dex.tls's CA (seed 000, Step 3).

use super::apprelease_common::{baremetal_releases, expect};
use super::describe;
use crate::lint::context::Context;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;

pub struct IngressTls;

impl Rule for IngressTls {
    describe!(
        "apprelease.ingress-tls",
        "the bare-metal AppRelease serves the bootstrap ingress with global.ingress.tls.secretName: dex.tls",
        why: "The bootstrap ALB serves https://<HOST_IP>:12443 with the certificate of the Secret \
              named here, and every elemental-system-agent verifies it in strict mode against \
              the CA from dex.tls (seed 000, Step 3). Another Secret serves a certificate that \
              CA did not sign, and every host refuses TLS to the bootstrap endpoint.",
        example: "spec:\n  values:\n    global:\n      ingress:\n        tls:\n          secretName: dex.tls",
    );

    fn check(&self, set: &Manifests, _: &Context, sink: &mut Sink) {
        for object in baremetal_releases(set) {
            expect(
                sink,
                object,
                &["ingress", "tls", "secretName"],
                "dex.tls",
                "the hosts verify the bootstrap ingress against dex.tls's CA",
            );
        }
    }
}
