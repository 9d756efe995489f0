//! `installer.registry`: The final global cluster pulls from registry.domain for its whole
//! life; the bootstrap registry disappears with the KIND host. For DR use <platform host>:11443
//! on both sides so the registry follows the platform-domain switch (seed 000, Step 8).

use super::describe;
use super::installer_common::{filled, requests};
use crate::lint::context::Context;
use crate::lint::finding::Severity;
use crate::lint::rule::{Rule, Sink};
use crate::lint::set::Manifests;

pub struct Registry;

impl Rule for Registry {
    describe!(
        "installer.registry",
        "registry.domain is the final platform registry, not the bootstrap one",
        why: "The final global cluster pulls from registry.domain for its whole life; the \
              bootstrap registry disappears with the KIND host. For DR use \
              <platform host>:11443 on both sides so the registry follows the platform-domain \
              switch (seed 000, Step 8).",
        example: "\"registry\": {\"domain\": \"platform.example.com:11443\"}",
    );

    fn check(&self, set: &Manifests, context: &Context, sink: &mut Sink) {
        let path = ["registry", "domain"];
        for request in requests(set) {
            let Some(domain) = request.str(&path) else {
                sink.field(
                    request,
                    &path,
                    "registry.domain is not set",
                    "set it to <platform host>:11443",
                );
                continue;
            };
            if !filled(domain) {
                continue;
            }
            let host = domain.rsplit_once(':').map_or(domain, |(host, _)| host);
            let host_ip = context.host_ip.as_ref().map(|known| known.value.as_str());
            if host.starts_with("127.")
                || host == "localhost"
                || host == "172.18.0.1"
                || Some(host) == host_ip
            {
                sink.field(
                    request,
                    &path,
                    format!(
                        "`{domain}` is a bootstrap registry address, gone after the installation"
                    ),
                    "use <platform host>:11443 (or <VIP>:11443 without DR)",
                );
                continue;
            }
            if context.dr
                && let Some(platform) = &context.platform_host
                && host != platform.value
            {
                sink.with(
                    Severity::Warning,
                    request,
                    request.field(&path).map_or(request.pos, |field| field.pos),
                    "registry.domain",
                    format!(
                        "with DR the registry should follow the platform domain {}, not {host}",
                        platform.value
                    ),
                    format!(
                        "set `\"domain\": \"{}:11443\"` on both primary and standby",
                        platform.value
                    ),
                );
            }
        }
    }
}
