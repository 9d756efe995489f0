//! What `ironprep registration names|pools --format json` print: each host's predicted
//! MachineInventory name (elemental's templating and sanitisation applied to the fleet report's
//! SMBIOS facts), the MachineInventoryPools built from them, and the checks that decide whether
//! the names can be trusted, in the common result shape.

use serde::{Deserialize, Serialize};

use crate::{CheckResult, ExitCode, Role};

/// The document of `ironprep registration names --format json`.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamesReport {
    pub schema_version: u32,
    pub registration: RegistrationRef,
    pub hosts: Vec<HostName>,
    pub checks: Vec<CheckResult>,
}

impl NamesReport {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from_statuses(self.checks.iter().map(|check| check.status))
    }
}

/// The MachineRegistration the names come from.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationRef {
    /// `MachineRegistration/namespace/name`.
    pub object: String,
    /// `spec.machineName` as written.
    pub machine_name: String,
}

/// One host of the fleet report and the MachineInventory name it will register as.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostName {
    /// The host as the fleet report names it.
    pub host: String,
    /// Its hostname (what the pool's `hostname` becomes); absent when it was not reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
    /// The predicted MachineInventory name; absent when it cannot be known (`problem` says why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// The document of `ironprep registration pools --format json`.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolsReport {
    pub schema_version: u32,
    pub cluster: String,
    pub registration: RegistrationRef,
    /// Empty when a check failed: pools built from names that cannot be trusted are not given.
    pub pools: Vec<Pool>,
    /// Hosts that belong in no pool (the installer host), by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unpooled: Vec<String>,
    pub checks: Vec<CheckResult>,
}

impl PoolsReport {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from_statuses(self.checks.iter().map(|check| check.status))
    }
}

/// One MachineInventoryPool as it will be applied.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    pub name: String,
    pub namespace: String,
    pub cluster_name: String,
    pub role: Role,
    pub members: Vec<PoolMember>,
}

/// `spec.machineInventories[]` in the seed's shape.
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolMember {
    pub name: String,
    /// Absent when the host's hostname is not a valid node name (the provider then falls back
    /// to the inventory name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SCHEMA_VERSION, Status};

    #[test]
    fn pools_round_trip_in_the_seed_shape() {
        let report = PoolsReport {
            schema_version: SCHEMA_VERSION,
            cluster: "global".to_owned(),
            registration: RegistrationRef {
                object: "MachineRegistration/cpaas-system/global-registration".to_owned(),
                machine_name: "global-${System Information/UUID}".to_owned(),
            },
            pools: vec![Pool {
                name: "global-control-plane-pool".to_owned(),
                namespace: "cpaas-system".to_owned(),
                cluster_name: "global".to_owned(),
                role: Role::ControlPlane,
                members: vec![PoolMember {
                    name: "global-4c4c4544".to_owned(),
                    hostname: None,
                }],
            }],
            unpooled: Vec::new(),
            checks: vec![CheckResult {
                id: "registration.names-unique".to_owned(),
                title: "t".to_owned(),
                status: Status::Pass,
                observed: String::new(),
                expected: String::new(),
                hint: String::new(),
                reason: None,
            }],
        };
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["pools"][0]["role"], "control-plane");
        assert!(json["pools"][0]["members"][0].get("hostname").is_none());
        let back: PoolsReport = serde_json::from_value(json).unwrap();
        assert_eq!(back, report);
        assert_eq!(back.exit_code(), ExitCode::Success);
    }
}
