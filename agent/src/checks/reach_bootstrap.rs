//! `reach.bootstrap`: during bootstrap, this host reaches the installer host's bootstrap
//! endpoint `https://<installer-host-ip>:12443` and verifies the bootstrap `dex.tls` for that
//! IP: the serving certificate must carry it as an IP SAN (seed 000).

use crate::check::{Check, Context, Outcome, Scope};
use crate::host::{Host, HostError};
use crate::reach::{self, Endpoint};

pub struct ReachBootstrap;

impl Check for ReachBootstrap {
    fn id(&self) -> &'static str {
        "reach.bootstrap"
    }

    fn title(&self) -> &'static str {
        "the bootstrap endpoint (:12443) answers over TLS verified against the CA"
    }

    fn hint(&self) -> &'static str {
        "open TCP 12443 from this host to the installer host, and serve the bootstrap dex.tls with \
         the installer host IP as an IP SAN: `ironprep certs dex-tls --host-ip IP`"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE
    }

    fn run(&self, host: &Host, context: &Context) -> Result<Outcome, HostError> {
        let Some(ip) = context.reach.bootstrap_host else {
            return Ok(Outcome::skip(
                "no --bootstrap-host given (the installer host IP, during bootstrap only)",
            ));
        };
        reach::probe(host, context, Endpoint::Bootstrap(ip))
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    #[test]
    fn without_a_bootstrap_host_it_skips_with_the_reason() {
        let result = Tree::new().status(&ReachBootstrap);
        assert_status(&result, Status::Skip);
        assert!(result.reason.unwrap().contains("--bootstrap-host"));
    }
}
