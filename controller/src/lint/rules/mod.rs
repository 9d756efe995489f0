//! The ordered registry of lint rules. The order is the order of `--list-rules`: the cheap
//! mistakes first (placeholders, names, references), then each kind in the order the seed's
//! procedure creates it, then the bootstrap and DR material.
//!
//! Rules are unit types grouped by area, one file per area (`kcp.rs` holds every `kcp.*`
//! rule); adding a rule is one type and one line here.

use super::rule::Rule;

mod app_release;
mod baremetal_cluster;
mod cluster;
mod dr;
mod import;
mod installer;
mod kcp;
mod naming;
mod placeholder;
mod pool;
mod reference;
mod registration;
mod seed_image;

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
    &placeholder::Unreplaced,
    &naming::Namespace,
    &naming::GlobalName,
    &naming::GlobalPrefix,
    &naming::ClusterPrefix,
    &naming::ReservedGlobal,
    &reference::Resolves,
    &cluster::BaremetalMetadata,
    &cluster::Cidrs,
    &kcp::Replicas,
    &kcp::MaxSurge,
    &kcp::Format,
    &kcp::SkipKubeProxy,
    &kcp::EtcdSans,
    &kcp::VersionInCatalog,
    &kcp::EncryptionFile,
    &baremetal_cluster::Vip,
    &baremetal_cluster::Port,
    &baremetal_cluster::Vrid,
    &baremetal_cluster::LoadBalancerType,
    &baremetal_cluster::EncryptionSecret,
    &pool::ClusterName,
    &pool::Members,
    &pool::InventoryUnique,
    &pool::Capacity,
    &registration::MachineName,
    &registration::EmulatedTpm,
    &registration::AgentUrl,
    &seed_image::BaseImage,
    &seed_image::BootstrapReuse,
    &import::Present,
    &import::Resources,
    &import::Required,
    &import::Forbidden,
    &app_release::ClusterType,
    &app_release::BootstrapEndpoint,
    &app_release::AgentTls,
    &app_release::Handoff,
    &app_release::ChartRepo,
    &installer::Console,
    &installer::HighAvailability,
    &installer::Registry,
    &installer::DrCertificate,
    &dr::RbacSecrets,
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
