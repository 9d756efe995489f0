//! `fs.leftovers`: state of an earlier container runtime or Kubernetes install. Old images and
//! metadata confuse the new containerd, old pod logs collide with new pods, and an old kubelet
//! certificate makes kubelet talk to a cluster that no longer exists.

use crate::check::{Check, Context, Observation, Outcome};
use crate::host::{Host, HostError};

const LEFTOVERS: [&str; 4] = [
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/log/pods",
    "/var/lib/kubelet/pki",
];

pub struct FsLeftovers;

impl Check for FsLeftovers {
    fn id(&self) -> &'static str {
        "fs.leftovers"
    }

    fn title(&self) -> &'static str {
        "no leftovers of an earlier container runtime or Kubernetes"
    }

    fn hint(&self) -> &'static str {
        "stop the old services (systemctl disable --now kubelet docker containerd), back up \
         anything still needed, then rm -rf /var/lib/docker /var/lib/containerd /var/log/pods \
         /var/lib/kubelet/pki"
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let mut present = Vec::new();
        for path in LEFTOVERS {
            if host.exists(path)? {
                present.push(path);
            }
        }
        let expected = format!("none of {} exists", LEFTOVERS.join(", "));
        if present.is_empty() {
            return Ok(Observation::new("none present", expected).into());
        }
        let listed = present.join(" ");
        Ok(
            Observation::new(format!("present: {}", present.join(", ")), expected)
                .fail_if(true)
                .with_hint(format!(
                    "stop the old services (systemctl disable --now kubelet docker containerd), \
                 back up anything still needed, then rm -rf {listed}"
                ))
                .into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    #[test]
    fn a_clean_host_passes() {
        let result = Tree::new()
            .dir("var/lib/rpm")
            .dir("var/lib/kubelet")
            .dir("var/log/journal")
            .status(&FsLeftovers);
        assert_status(&result, Status::Pass);
        assert_eq!(result.observed, "none present");
    }

    #[test]
    fn leftovers_are_listed_and_the_hint_names_only_them() {
        let result = Tree::new()
            .file(
                "var/lib/docker/image/overlay2/repositories.json",
                "{\"Repositories\":{}}",
            )
            .file(
                "var/lib/kubelet/pki/kubelet-client-current.pem",
                "-----BEGIN CERTIFICATE-----\n",
            )
            .status(&FsLeftovers);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "present: /var/lib/docker, /var/lib/kubelet/pki"
        );
        assert!(
            result
                .hint
                .ends_with("rm -rf /var/lib/docker /var/lib/kubelet/pki"),
            "{}",
            result.hint
        );
    }

    #[test]
    fn a_dangling_symlink_counts_as_present() {
        // /var/lib/containerd moved to a data disk that is no longer mounted.
        let result = Tree::new()
            .symlink("var/lib/containerd", "/data/containerd")
            .status(&FsLeftovers);
        assert_status(&result, Status::Fail);
        assert_eq!(result.observed, "present: /var/lib/containerd");
    }

    #[test]
    fn an_unresolvable_path_is_an_error_naming_it() {
        let result = Tree::new()
            .symlink("var/lib", "/var/lib")
            .status(&FsLeftovers);
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("/var/lib/docker: too many levels of symbolic links")
        );
    }
}
