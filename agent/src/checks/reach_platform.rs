//! `reach.platform`: this host reaches the platform URL (`global.platformUrl`) and verifies
//! its certificate against the given CA, as elemental-system-agent will in strict TLS mode.

use crate::check::{Check, Context, Outcome, Scope};
use crate::host::{Host, HostError};
use crate::reach::{self, Endpoint};

pub struct ReachPlatform;

impl Check for ReachPlatform {
    fn id(&self) -> &'static str {
        "reach.platform"
    }

    fn title(&self) -> &'static str {
        "the platform URL answers over TLS verified against the CA"
    }

    fn hint(&self) -> &'static str {
        "open TCP 443 from this host to the platform ingress, and serve a certificate from the \
         given CA with the URL's IP or name in its SAN; `curl -kI URL/kubernetes/global/version` \
         must answer 401"
    }

    fn scope(&self) -> Scope {
        Scope::EVERY_PROFILE
    }

    fn run(&self, host: &Host, context: &Context) -> Result<Outcome, HostError> {
        let Some(url) = &context.reach.platform_url else {
            return Ok(Outcome::skip(
                "no --platform-url given (global.platformUrl, passed by the controller)",
            ));
        };
        reach::probe(host, context, Endpoint::Platform(url))
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::check::Reach;
    use crate::testing::{Tree, assert_status};

    #[test]
    fn without_a_platform_url_it_skips_with_the_reason() {
        let result = Tree::new().status(&ReachPlatform);
        assert_status(&result, Status::Skip);
        assert!(result.reason.unwrap().contains("--platform-url"));
    }

    #[test]
    fn without_a_ca_or_under_root_it_skips() {
        let context = Context {
            reach: Reach {
                platform_url: Some("https://10.0.0.100".to_owned()),
                ..Reach::default()
            },
            ..Context::default()
        };
        let result = Tree::new().run(&ReachPlatform, &context);
        assert_status(&result, Status::Skip);
        assert!(result.reason.unwrap().contains("no --ca"));
        let context = Context {
            reach: Reach {
                ca: Some("/nonexistent/ca.crt".into()),
                ..context.reach
            },
            ..context
        };
        let result = Tree::new().run(&ReachPlatform, &context);
        assert_status(&result, Status::Skip);
        assert!(result.reason.unwrap().contains("--root"));
    }
}
