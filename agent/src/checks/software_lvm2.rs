//! `software.lvm2`: TopoLVM carves volumes out of an LVM volume group and Rook's OSD
//! preparation runs the LVM tools on the host; without lvm2 their pods crash-loop after the
//! cluster is up, and no volume can be provisioned.

use crate::check::{Check, Context, Observation, Outcome, Storage};
use crate::host::{Host, HostError};

pub struct SoftwareLvm2;

impl Check for SoftwareLvm2 {
    fn id(&self) -> &'static str {
        "software.lvm2"
    }

    fn title(&self) -> &'static str {
        "lvm2 is installed for TopoLVM or Rook local storage"
    }

    fn hint(&self) -> &'static str {
        "RHEL/CentOS/Kylin: `yum install -y lvm2`; Ubuntu: `apt-get install -y lvm2`"
    }

    fn explain(&self) -> &'static str {
        "⚠️ in the node-check list means: decide whether the condition holds and, if it does, \
         fix it (seed 004). The condition is \"TopoLVM or Rook local storage is planned\", \
         which only --storage can tell: without it the check is skipped; with \
         --storage topolvm|rook the condition holds, so a missing lvm2 fails."
    }

    fn run(&self, host: &Host, context: &Context) -> Result<Outcome, HostError> {
        let storage = match context.storage {
            Some(Storage::TopoLvm) => "TopoLVM",
            Some(Storage::Rook) => "Rook",
            None => {
                return Ok(Outcome::skip(
                    "no TopoLVM or Rook local storage planned (--storage)",
                ));
            }
        };
        // `lvm` is the one binary of lvm2; pvcreate, vgcreate… are links to it.
        let mut found = None;
        for name in ["lvm", "pvcreate"] {
            if let Some(path) = host.find_executable(name)? {
                found = Some(path);
                break;
            }
        }
        let expected = format!("lvm2 installed ({storage} planned)");
        Ok(match found {
            Some(path) => Observation::new(format!("lvm2 present ({path})"), expected),
            None => {
                Observation::new("lvm2 not installed (no lvm or pvcreate)", expected).fail_if(true)
            }
        }
        .into())
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    fn with_storage(storage: Storage) -> Context {
        Context {
            storage: Some(storage),
            ..Context::default()
        }
    }

    #[test]
    fn without_planned_storage_it_is_skipped() {
        let result = Tree::new().status(&SoftwareLvm2);
        assert_status(&result, Status::Skip);
        assert_eq!(
            result.reason.as_deref(),
            Some("no TopoLVM or Rook local storage planned (--storage)")
        );
    }

    #[test]
    fn lvm_present_passes() {
        // RHEL 8: /usr/sbin/lvm, with pvcreate and friends as symlinks to it.
        let result = Tree::new()
            .executable("usr/sbin/lvm")
            .symlink("usr/sbin/pvcreate", "lvm")
            .run(&SoftwareLvm2, &with_storage(Storage::TopoLvm));
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "lvm2 present (/usr/sbin/lvm)");
        assert_eq!(result.expected, "lvm2 installed (TopoLVM planned)");
    }

    #[test]
    fn missing_lvm2_fails_when_the_storage_is_planned() {
        let result = Tree::new()
            .executable("usr/sbin/modprobe")
            .run(&SoftwareLvm2, &with_storage(Storage::Rook));
        assert_status(&result, Status::Fail);
        assert_eq!(result.observed, "lvm2 not installed (no lvm or pvcreate)");
        assert_eq!(result.expected, "lvm2 installed (Rook planned)");
    }

    #[test]
    fn a_symlink_loop_in_the_path_is_an_error_naming_it() {
        let result = Tree::new()
            .symlink("usr/local/sbin/lvm", "/usr/local/sbin/lvm")
            .run(&SoftwareLvm2, &with_storage(Storage::Rook));
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("/usr/local/sbin/lvm: too many levels of symbolic links")
        );
    }
}
