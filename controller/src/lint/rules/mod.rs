//! The ordered registry of lint rules. The order is the order of `--list-rules`: the cheap
//! mistakes first (placeholders, names, references), then each kind in the order the seed's
//! procedure creates it, then the bootstrap and DR material.
//!
//! A rule is one unit type in a file of its own, named after its ID (`kcp_replicas.rs` holds
//! `kcp.replicas`), with its unit tests at the bottom; helpers shared by the rules of an area
//! live in `<area>_common.rs`. Adding a rule is one file and one line here.

use super::rule::Rule;

mod apprelease_agent_tls;
mod apprelease_bootstrap_endpoint;
mod apprelease_chart_repo;
mod apprelease_cluster_type;
mod apprelease_common;
mod apprelease_delivery_mode;
mod apprelease_handoff;
mod apprelease_ingress_tls;
mod apprelease_system_agent_auth;
mod baremetalcluster_common;
mod baremetalcluster_encryption_secret;
mod baremetalcluster_lb_type;
mod baremetalcluster_port;
mod baremetalcluster_vip;
mod baremetalcluster_vrid;
mod cluster_baremetal_metadata;
mod cluster_cidrs;
mod cluster_registry_address;
mod dr_rbac_secrets;
mod dr_service_account_issuer;
mod import_common;
mod import_dcs_default;
mod import_forbidden;
mod import_present;
mod import_required;
mod import_resources;
mod installer_cidrs;
mod installer_common;
mod installer_console;
mod installer_dr_certificate;
mod installer_ha;
mod installer_registry;
mod kcp_common;
mod kcp_dr_service_account_key;
mod kcp_encryption_file;
mod kcp_etcd_sans;
mod kcp_format;
mod kcp_max_surge;
mod kcp_replicas;
mod kcp_skip_kube_proxy;
mod kcp_version_in_catalog;
mod machinedeployment_max_surge;
mod namespace_cpaas_system;
mod naming_cluster_prefix;
mod naming_global_name;
mod naming_global_prefix;
mod naming_reserved_global;
mod placeholder_unreplaced;
mod pool_capacity;
mod pool_cluster_name;
mod pool_common;
mod pool_inventory_unique;
mod pool_members;
mod reference_resolves;
mod registration_agent_url;
mod registration_common;
mod registration_emulated_tpm;
mod registration_machine_name;
mod seedimage_base_image;
mod seedimage_bootstrap_reuse;

// The registration chain after the manifests: live objects with `status` (`kubectl get -o
// yaml`) and the hosts of a fleet report (`--report`).
mod inventory_common;
mod inventory_observed_network;
mod inventory_plan_secret;
mod inventory_pool;
mod inventory_ready;
mod pool_fleet_members;
mod registration_status_url;
mod seedimage_completed;

/// Writes the descriptive half of a [`Rule`] impl.
macro_rules! describe {
    ($id:literal, $title:literal, why: $why:literal, example: $example:literal $(,)?) => {
        fn id(&self) -> &'static str {
            $id
        }
        fn title(&self) -> &'static str {
            $title
        }
        fn why(&self) -> &'static str {
            $why
        }
        fn example(&self) -> &'static str {
            $example
        }
    };
}
pub(crate) use describe;

/// Every rule, in report order. Adding a rule is one line here.
pub static ALL: &[&dyn Rule] = &[
    &placeholder_unreplaced::Unreplaced,
    &namespace_cpaas_system::Namespace,
    &naming_global_name::GlobalName,
    &naming_global_prefix::GlobalPrefix,
    &naming_cluster_prefix::ClusterPrefix,
    &naming_reserved_global::ReservedGlobal,
    &reference_resolves::Resolves,
    &cluster_baremetal_metadata::BaremetalMetadata,
    &cluster_cidrs::Cidrs,
    &kcp_replicas::Replicas,
    &kcp_max_surge::MaxSurge,
    &kcp_format::Format,
    &kcp_skip_kube_proxy::SkipKubeProxy,
    &kcp_etcd_sans::EtcdSans,
    &kcp_version_in_catalog::VersionInCatalog,
    &kcp_encryption_file::EncryptionFile,
    &baremetalcluster_vip::Vip,
    &baremetalcluster_port::Port,
    &baremetalcluster_vrid::Vrid,
    &baremetalcluster_lb_type::LoadBalancerType,
    &baremetalcluster_encryption_secret::EncryptionSecret,
    &pool_cluster_name::ClusterName,
    &pool_members::Members,
    &pool_inventory_unique::InventoryUnique,
    &pool_capacity::Capacity,
    &registration_machine_name::MachineName,
    &registration_emulated_tpm::EmulatedTpm,
    &registration_agent_url::AgentUrl,
    &seedimage_base_image::BaseImage,
    &seedimage_bootstrap_reuse::BootstrapReuse,
    &import_present::Present,
    &import_resources::Resources,
    &import_required::Required,
    &import_forbidden::Forbidden,
    &apprelease_cluster_type::ClusterType,
    &apprelease_bootstrap_endpoint::BootstrapEndpoint,
    &apprelease_agent_tls::AgentTls,
    &apprelease_handoff::Handoff,
    &apprelease_chart_repo::ChartRepo,
    &installer_console::Console,
    &installer_ha::HighAvailability,
    &installer_registry::Registry,
    &installer_dr_certificate::DrCertificate,
    &dr_rbac_secrets::RbacSecrets,
    &pool_fleet_members::FleetMembers,
    &registration_status_url::StatusUrl,
    &seedimage_completed::Completed,
    &inventory_ready::Ready,
    &inventory_plan_secret::PlanSecret,
    &inventory_observed_network::ObservedNetwork,
    &inventory_pool::InPool,
    &cluster_registry_address::RegistryAddress,
    &kcp_dr_service_account_key::DrServiceAccountKey,
    &machinedeployment_max_surge::MaxSurge,
    &import_dcs_default::DcsDefault,
    &apprelease_system_agent_auth::SystemAgentAuth,
    &apprelease_delivery_mode::DeliveryMode,
    &apprelease_ingress_tls::IngressTls,
    &installer_cidrs::Cidrs,
    &dr_service_account_issuer::ServiceAccountIssuer,
];

pub fn find(id: &str) -> Option<&'static dyn Rule> {
    ALL.iter().copied().find(|rule| rule.id() == id)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn ids_are_unique() {
        let mut seen = BTreeSet::new();
        for rule in ALL {
            assert!(seen.insert(rule.id()), "duplicate rule id {}", rule.id());
        }
    }

    #[test]
    fn ids_are_well_formed() {
        for rule in ALL {
            let id = rule.id();
            let (area, name) = id
                .split_once('.')
                .unwrap_or_else(|| panic!("{id}: no area"));
            let valid = |part: &str| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !part.starts_with('-')
                    && !part.ends_with('-')
            };
            assert!(
                valid(area) && valid(name),
                "{id} is not area.name in lowercase kebab-case"
            );
        }
    }

    #[test]
    fn descriptions_are_written() {
        for rule in ALL {
            let id = rule.id();
            assert!(
                !rule.title().is_empty() && !rule.title().ends_with('.'),
                "{id}: title"
            );
            assert!(rule.why().len() > 40, "{id}: why too short to convince");
            assert!(
                rule.example().contains(':'),
                "{id}: example is not a manifest fragment"
            );
        }
    }
}
