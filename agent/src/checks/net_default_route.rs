//! PLACEHOLDER: being written; replaced wholesale by its owner.

use crate::check::{Check, Context, Outcome};
use crate::host::{Host, HostError};

pub struct NetDefaultRoute;

impl Check for NetDefaultRoute {
    fn id(&self) -> &'static str {
        "net.default-route"
    }

    fn title(&self) -> &'static str {
        "placeholder"
    }

    fn hint(&self) -> &'static str {
        "placeholder hint"
    }

    fn run(&self, _host: &Host, _context: &Context) -> Result<Outcome, HostError> {
        Ok(Outcome::skip("not implemented yet"))
    }
}
