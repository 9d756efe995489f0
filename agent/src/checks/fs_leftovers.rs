//! `fs.leftovers`: state of an earlier container runtime or Kubernetes install. Old images and
//! metadata confuse the new containerd, old pod logs collide with new pods, an old kubelet
//! certificate makes kubelet talk to a cluster that no longer exists, and old kubeconfigs,
//! static pod manifests, etcd data or CNI configurations make kubeadm refuse to start or the
//! new CNI share the node with the old one (seed 004: the platform does not install into an
//! existing Kubernetes environment; clean it first).

use crate::check::{Check, Context, Observation, Outcome};
use crate::host::{Host, HostError};

/// Leftovers whenever they exist (the node-check list's four paths).
const LEFTOVERS: [&str; 4] = [
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/log/pods",
    "/var/lib/kubelet/pki",
];

/// Leftovers when they hold anything: an empty directory is harmless, as kubeadm's own
/// preflight treats `/var/lib/etcd`, and packages may create these empty.
const NON_EMPTY_LEFTOVERS: [&str; 3] = ["/etc/kubernetes", "/var/lib/etcd", "/etc/cni/net.d"];

pub struct FsLeftovers;

impl Check for FsLeftovers {
    fn id(&self) -> &'static str {
        "fs.leftovers"
    }

    fn title(&self) -> &'static str {
        "no leftovers of an earlier container runtime or Kubernetes"
    }

    fn hint(&self) -> &'static str {
        "stop the old services (`systemctl disable --now kubelet docker containerd`), back up \
         anything still needed (an old etcd's data), then `rm -rf /var/lib/docker \
         /var/lib/containerd /var/log/pods /var/lib/kubelet/pki /etc/kubernetes /var/lib/etcd \
         /etc/cni/net.d`"
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let mut present = Vec::new();
        for path in LEFTOVERS {
            if host.exists(path)? {
                present.push(path);
            }
        }
        for path in NON_EMPTY_LEFTOVERS {
            if host
                .list_dir(path)?
                .is_some_and(|entries| !entries.is_empty())
            {
                present.push(path);
            }
        }
        let expected = format!(
            "none of {} exists; {} absent or empty",
            LEFTOVERS.join(", "),
            NON_EMPTY_LEFTOVERS.join(", ")
        );
        if present.is_empty() {
            return Ok(Observation::new("none present", expected).into());
        }
        let listed = present.join(" ");
        Ok(
            Observation::new(format!("present: {}", present.join(", ")), expected)
                .fail_if(true)
                .with_hint(format!(
                    "stop the old services (`systemctl disable --now kubelet docker containerd`), \
                     back up anything still needed, then `rm -rf {listed}`"
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
                .ends_with("`rm -rf /var/lib/docker /var/lib/kubelet/pki`"),
            "{}",
            result.hint
        );
    }

    #[test]
    fn an_earlier_kubeadm_cluster_is_found_by_its_configuration_and_etcd_data() {
        let result = Tree::new()
            .file(
                "etc/kubernetes/admin.conf",
                "apiVersion: v1\nkind: Config\n",
            )
            .dir("etc/kubernetes/manifests")
            .file("var/lib/etcd/member/snap/db", "")
            .file(
                "etc/cni/net.d/10-calico.conflist",
                "{\"name\": \"k8s-pod-network\", \"cniVersion\": \"0.3.1\"}",
            )
            .status(&FsLeftovers);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "present: /etc/kubernetes, /var/lib/etcd, /etc/cni/net.d"
        );
        assert!(
            result
                .hint
                .ends_with("`rm -rf /etc/kubernetes /var/lib/etcd /etc/cni/net.d`"),
            "{}",
            result.hint
        );
    }

    #[test]
    fn empty_configuration_directories_are_harmless() {
        let result = Tree::new()
            .dir("etc/kubernetes")
            .dir("var/lib/etcd")
            .dir("etc/cni/net.d")
            .status(&FsLeftovers);
        assert_status(&result, Status::Pass);
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
