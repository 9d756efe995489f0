//! `reach.registry`: this host reaches the registry (`global.registry.address`) over TLS
//! verified against the given CA, and `/v2/` answers 200 or 401: image pulls will work.

use crate::check::{Check, Context, Outcome, Scope};
use crate::host::{Host, HostError};
use crate::reach::{self, Endpoint};

pub struct ReachRegistry;

impl Check for ReachRegistry {
    fn id(&self) -> &'static str {
        "reach.registry"
    }

    fn title(&self) -> &'static str {
        "the registry answers /v2/ over TLS verified against the CA"
    }

    fn hint(&self) -> &'static str {
        "open the registry port (11443 on the platform) from this host, and serve a certificate \
         from the given CA for the registry's IP or name; `curl -kI https://HOST:PORT/v2/` must \
         answer 200 or 401"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE
    }

    fn run(&self, host: &Host, context: &Context) -> Result<Outcome, HostError> {
        let Some(address) = &context.reach.registry else {
            return Ok(Outcome::skip(
                "no --registry given (global.registry.address, passed by the controller)",
            ));
        };
        reach::probe(host, context, Endpoint::Registry(address))
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    #[test]
    fn without_a_registry_it_skips_with_the_reason() {
        let result = Tree::new().status(&ReachRegistry);
        assert_status(&result, Status::Skip);
        assert!(result.reason.unwrap().contains("--registry"));
    }
}
