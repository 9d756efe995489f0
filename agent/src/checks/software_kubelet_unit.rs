//! `software.kubelet-unit`: the installer writes its own kubelet unit. A unit left in
//! /etc/systemd/system (from kubeadm or an earlier install) overrides it, and a mask (a link
//! to /dev/null) stops kubelet from starting at all: the node never joins.

use crate::check::{Check, Context, Observation, Outcome};
use crate::host::{Host, HostError};

const UNIT: &str = "/etc/systemd/system/kubelet.service";
const DROP_INS: &str = "/etc/systemd/system/kubelet.service.d";

pub struct SoftwareKubeletUnit;

impl Check for SoftwareKubeletUnit {
    fn id(&self) -> &'static str {
        "software.kubelet-unit"
    }

    fn title(&self) -> &'static str {
        "/etc/systemd/system/kubelet.service does not exist"
    }

    fn hint(&self) -> &'static str {
        "back up the unit, then: `systemctl disable --now kubelet && rm -rf \
         /etc/systemd/system/kubelet.service /etc/systemd/system/kubelet.service.d && systemctl \
         daemon-reload`"
    }

    fn run(&self, host: &Host, _: &Context) -> Result<Outcome, HostError> {
        let unit = host.exists(UNIT)?;
        let masked = host
            .read_link(UNIT)?
            .is_some_and(|target| target == "/dev/null");
        let drop_ins = if host.is_dir(DROP_INS)? {
            Some(host.list_dir(DROP_INS)?.unwrap_or_default())
        } else {
            None
        };
        let mut found = Vec::new();
        if masked {
            found.push(format!("{UNIT} -> /dev/null (kubelet is masked)"));
        } else if unit {
            found.push(format!("{UNIT} exists"));
        }
        if let Some(files) = &drop_ins {
            found.push(if files.is_empty() {
                format!("{DROP_INS}/ exists (empty)")
            } else {
                format!("{DROP_INS}/ holds {}", files.join(", "))
            });
        }
        let observed = if found.is_empty() {
            "no kubelet unit or drop-ins in /etc/systemd/system".to_owned()
        } else {
            found.join("; ")
        };
        let mut observation = Observation::new(observed, format!("no {UNIT}"))
            // Drop-ins alone change the unit the installer writes (kubeadm's
            // 10-kubeadm.conf replaces ExecStart): worth a look, not a blocker.
            .warn_if(drop_ins.is_some())
            .fail_if(unit);
        if masked {
            observation = observation.with_hint(
                "`systemctl unmask kubelet && rm -rf /etc/systemd/system/kubelet.service.d && \
                 systemctl daemon-reload` (unmask removes the /dev/null link)",
            );
        }
        Ok(observation.into())
    }
}

#[cfg(test)]
mod tests {
    use ironprep_schema::Status;

    use super::*;
    use crate::testing::{Tree, assert_status};

    /// The unit kubeadm's packages install (kubernetes.io "kubelet.service").
    const KUBEADM_UNIT: &str = "[Unit]\nDescription=kubelet: The Kubernetes Node Agent\n\
        Documentation=https://kubernetes.io/docs/\nWants=network-online.target\n\
        After=network-online.target\n\n[Service]\nExecStart=/usr/bin/kubelet\nRestart=always\n\
        StartLimitInterval=0\nRestartSec=10\n\n[Install]\nWantedBy=multi-user.target\n";

    const KUBEADM_DROP_IN: &str = "[Service]\n\
        Environment=\"KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf\"\n\
        ExecStart=\nExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS\n";

    #[test]
    fn a_clean_host_passes() {
        let result = Tree::new()
            .file(
                "etc/systemd/system/multi-user.target.wants/sshd.service",
                "",
            )
            .status(&SoftwareKubeletUnit);
        assert_status(&result, Status::Pass);
        assert_eq!(
            result.observed,
            "no kubelet unit or drop-ins in /etc/systemd/system"
        );
    }

    #[test]
    fn a_leftover_unit_and_drop_ins_fail() {
        let result = Tree::new()
            .file("etc/systemd/system/kubelet.service", KUBEADM_UNIT)
            .file(
                "etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
                KUBEADM_DROP_IN,
            )
            .status(&SoftwareKubeletUnit);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "/etc/systemd/system/kubelet.service exists; \
             /etc/systemd/system/kubelet.service.d/ holds 10-kubeadm.conf"
        );
    }

    #[test]
    fn a_masked_kubelet_fails_with_an_unmask_hint() {
        let result = Tree::new()
            .symlink("etc/systemd/system/kubelet.service", "/dev/null")
            .status(&SoftwareKubeletUnit);
        assert_status(&result, Status::Fail);
        assert_eq!(
            result.observed,
            "/etc/systemd/system/kubelet.service -> /dev/null (kubelet is masked)"
        );
        assert!(result.hint.starts_with("`systemctl unmask kubelet"));
    }

    #[test]
    fn drop_ins_alone_warn() {
        let result = Tree::new()
            .dir("etc/systemd/system/kubelet.service.d")
            .status(&SoftwareKubeletUnit);
        assert_status(&result, Status::Warn);
        assert_eq!(
            result.observed,
            "/etc/systemd/system/kubelet.service.d/ exists (empty)"
        );
    }

    #[test]
    fn an_unresolvable_path_is_an_error_naming_it() {
        let result = Tree::new()
            .symlink("etc/systemd/system", "/etc/systemd/system")
            .status(&SoftwareKubeletUnit);
        assert_status(&result, Status::Error);
        assert_eq!(
            result.reason.as_deref(),
            Some("/etc/systemd/system/kubelet.service: too many levels of symbolic links")
        );
    }
}
