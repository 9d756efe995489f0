//! `--list --format json`: the checks a binary knows, what each wants and when it applies —
//! the catalogue people skip and waive checks by. And `ironprep check --list-hosts`: where
//! each host of a fleet will be reached and which of those checks it will run, decided before
//! anything is contacted.

use serde::{Deserialize, Serialize};

use crate::{Cni, Profile, Role};

/// One check of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ListedCheck {
    pub id: String,
    pub title: String,
    /// When it applies, in words (`control-plane`, `traditional profile, kube-ovn`).
    pub when: String,
    /// Advisory checks warn instead of failing.
    pub advisory: bool,
    pub hint: String,
    /// When it applies, for machines (`when` says the same in words); absent in the lists of
    /// older releases. Added in schema 1.2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies: Option<Applicability>,
}

/// `ironprep-agent --list --format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct CheckList {
    pub schema_version: u32,
    pub checks: Vec<ListedCheck>,
}

/// The static conditions under which a check runs. Conditions that need the host itself
/// (kernel version, OS family) are decided when it runs and end as `skip`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct Applicability {
    /// The profiles it belongs to; a check named with `--only` or `--with` runs in any.
    pub profiles: Vec<Profile>,
    /// Roles of which the host must have one; empty: every host.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// The CNI it needs; absent: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cni: Option<Cni>,
    /// Runs only when named with `--only` or `--with` (slow, or situational).
    #[serde(default)]
    pub on_request: bool,
}

/// Why a check does not apply to a run; each binary says it in its own words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotApplicable {
    /// Runs only when named.
    OnRequest,
    /// Not part of the run's profile.
    Profile,
    /// The host has none of the check's roles.
    Role,
    /// The run's CNI is another.
    Cni,
}

impl Applicability {
    /// `Ok` when the check applies to a host of these roles in a run of this profile and CNI;
    /// `requested`: the user named it (`--only`, `--with`). The one decision the agent, the
    /// BMC checks and `--list-hosts` share.
    pub fn applies(
        &self,
        profile: Profile,
        roles: &[Role],
        cni: Cni,
        requested: bool,
    ) -> Result<(), NotApplicable> {
        if self.on_request && !requested {
            return Err(NotApplicable::OnRequest);
        }
        if !self.profiles.contains(&profile) && !requested {
            return Err(NotApplicable::Profile);
        }
        if !self.roles.is_empty() && !self.roles.iter().any(|role| roles.contains(role)) {
            return Err(NotApplicable::Role);
        }
        if self.cni.is_some_and(|wanted| wanted != cni) {
            return Err(NotApplicable::Cni);
        }
        Ok(())
    }
}

/// `--only`, `--skip` and `--with`: which checks of the catalogue a run asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// When non-empty, only these checks run (and they run even if out of scope by profile).
    pub only: Vec<String>,
    /// Reported as `skip` with the reason, so a skipped check stays visible.
    pub skip: Vec<String>,
    /// Opt-in checks to add to the normal set.
    pub with: Vec<String>,
}

impl Selection {
    /// Whether the check is reported at all (`--only` leaves the others out).
    pub fn listed(&self, id: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|only| only == id)
    }

    /// Whether the user named the check, which runs it outside its profile or on request.
    pub fn requested(&self, id: &str) -> bool {
        self.only.iter().chain(&self.with).any(|named| named == id)
    }

    /// Whether `--skip` names it.
    pub fn skipped(&self, id: &str) -> bool {
        self.skip.iter().any(|skip| skip == id)
    }
}

impl CheckList {
    /// The IDs of the checks that will run (not skip) on a host of these roles, in report
    /// order. Checks without a machine-readable [`Applicability`] (an older list) count as
    /// running.
    pub fn planned(
        &self,
        profile: Profile,
        roles: &[Role],
        cni: Cni,
        selection: &Selection,
    ) -> Vec<String> {
        self.checks
            .iter()
            .filter(|check| selection.listed(&check.id) && !selection.skipped(&check.id))
            .filter(|check| {
                check.applies.as_ref().is_none_or(|applies| {
                    applies
                        .applies(profile, roles, cni, selection.requested(&check.id))
                        .is_ok()
                })
            })
            .map(|check| check.id.clone())
            .collect()
    }
}

/// `ironprep check --list-hosts --format json`: every host of a fleet as the run would reach
/// it, with the checks it would run; nothing was contacted. Added in schema 1.2.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct HostList {
    pub schema_version: u32,
    pub profile: Profile,
    pub cni: Cni,
    pub hosts: Vec<ListedHost>,
}

/// One host of [`HostList`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct ListedHost {
    /// The inventory name (or the name given with `--hosts`).
    pub host: String,
    /// Where the run connects: ssh_config's HostName, `ansible_host`, else the name.
    pub address: String,
    pub port: u16,
    pub user: String,
    /// The roles the agent checks the host for: the inventory's, else `--role`'s, else
    /// control-plane.
    pub roles: Vec<Role>,
    /// The Ansible groups the host is in (ancestors included); absent for formats without
    /// groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// The jump hosts passed through, outermost first; empty: reached directly.
    pub jump: Vec<JumpHop>,
    /// The IDs of the checks the agent will run on it, in report order (checks that need
    /// the host itself, such as the OS family, may still skip there).
    pub checks: Vec<String>,
}

/// One jump host on the way to a host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
pub struct JumpHop {
    /// As the chain names it (`bastion`, `jump@10.0.0.1:2222`).
    pub name: String,
    pub address: String,
    pub port: u16,
    pub user: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(id: &str, applies: Applicability) -> ListedCheck {
        ListedCheck {
            id: id.to_owned(),
            title: String::new(),
            when: String::new(),
            advisory: false,
            hint: String::new(),
            applies: Some(applies),
        }
    }

    #[test]
    fn planned_checks_follow_roles_profile_cni_and_the_selection() {
        let every = |roles: Vec<Role>| Applicability {
            profiles: vec![Profile::Traditional, Profile::Immutable],
            roles,
            cni: None,
            on_request: false,
        };
        let list = CheckList {
            schema_version: crate::SCHEMA_VERSION,
            checks: vec![
                listed("a.always", every(vec![])),
                listed("b.control", every(vec![Role::ControlPlane, Role::Etcd])),
                listed(
                    "c.asked",
                    Applicability {
                        on_request: true,
                        ..every(vec![])
                    },
                ),
                listed(
                    "d.calico",
                    Applicability {
                        cni: Some(Cni::Calico),
                        profiles: vec![Profile::Traditional],
                        ..every(vec![])
                    },
                ),
            ],
        };
        let plan = |roles: &[Role], profile, selection: &Selection| {
            list.planned(profile, roles, Cni::KubeOvn, selection)
        };
        let none = Selection::default();
        assert_eq!(
            plan(&[Role::Etcd], Profile::Traditional, &none),
            ["a.always", "b.control"]
        );
        assert_eq!(
            plan(&[Role::Worker], Profile::Traditional, &none),
            ["a.always"]
        );
        let asked = Selection {
            with: vec!["c.asked".into()],
            skip: vec!["a.always".into()],
            ..Selection::default()
        };
        assert_eq!(
            plan(&[Role::Worker], Profile::Immutable, &asked),
            ["c.asked"]
        );
        // --only runs a check outside its profile, never outside its CNI.
        let only = Selection {
            only: vec!["d.calico".into(), "a.always".into()],
            ..Selection::default()
        };
        assert_eq!(
            plan(&[Role::Worker], Profile::Immutable, &only),
            ["a.always"]
        );
    }
}
