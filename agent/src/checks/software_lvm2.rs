//! PLACEHOLDER: being written; replaced wholesale by its owner.

use crate::check::{Check, Context, Outcome};
use crate::host::{Host, HostError};

pub struct SoftwareLvm2;

impl Check for SoftwareLvm2 {
    fn id(&self) -> &'static str {
        "software.lvm2"
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
