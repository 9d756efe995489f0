//! What the rules need to know besides the manifests themselves: the phase, DR, the provider,
//! the control-plane VIP, the platform host, the installer host's IP and the image catalog.
//! Flags win; otherwise each value is inferred from the manifests, and remembers where from so
//! a finding can say "the VIP (from BaremetalCluster/cpaas-system/global)".

use std::net::IpAddr;
use std::sync::Arc;

use ironprep_schema::FleetReport;

use super::object::{INSTALLER_REQUEST, Object};
use super::set::{self, APP_RELEASE, BAREMETAL_CLUSTER, CATALOG_CONFIG_MAP, CONFIG_MAP, Manifests};
use super::tree::Node;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Phase {
    /// Before handoff: the bootstrap KIND host drives the installation.
    Bootstrap,
    /// After handoff: the global cluster runs and manages itself.
    Installed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Provider {
    Baremetal,
    Vsphere,
    Hcs,
    Dcs,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::Baremetal => "Bare Metal",
            Provider::Vsphere => "VMware vSphere",
            Provider::Hcs => "Huawei Cloud Stack",
            Provider::Dcs => "Huawei DCS",
        }
    }
}

/// A value and where it came from (`--vip`, or the object it was read from).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Known {
    pub value: String,
    pub from: String,
}

/// `elemental-image-catalog`: Kubernetes version (with its leading `v`) → upgrade image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Catalog {
    pub from: String,
    pub entries: Vec<(String, String)>,
}

impl Catalog {
    pub fn image(&self, version: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(key, _)| key == version)
            .map(|(_, image)| image.as_str())
    }

    /// Reads a catalog from a ConfigMap (its `data`) or a plain `version: image` mapping.
    pub fn from_node(root: &Node, from: &str) -> Catalog {
        let data = match root.get("data") {
            Some(data) if root.get("kind").is_some() => data,
            _ => root,
        };
        let entries = data
            .entries()
            .iter()
            .filter_map(|entry| Some((entry.key.clone(), entry.value.str()?.trim().to_owned())))
            .collect();
        Catalog {
            from: from.to_owned(),
            entries,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    pub phase: Phase,
    pub dr: bool,
    pub provider: Provider,
    pub vip: Option<Known>,
    /// DR: the primary's and the standby's control-plane VIPs, as far as given (`--primary-vip`,
    /// `--standby-vip`); no manifest of one side carries the other side's VIP.
    pub dr_vips: Vec<Known>,
    pub platform_host: Option<Known>,
    pub host_ip: Option<Known>,
    pub catalog: Option<Catalog>,
    /// An ironprep fleet report (`--report`): the hosts the pools and inventories must match.
    pub fleet: Option<Arc<FleetReport>>,
}

/// What the user gave on the command line.
#[derive(Clone, Debug, Default)]
pub struct Given {
    pub phase: Option<Phase>,
    pub dr: bool,
    pub provider: Option<Provider>,
    pub vip: Option<String>,
    pub primary_vip: Option<String>,
    pub standby_vip: Option<String>,
    pub platform_host: Option<String>,
    pub host_ip: Option<String>,
    pub catalog: Option<Catalog>,
    pub fleet: Option<Arc<FleetReport>>,
}

impl Context {
    pub fn infer(given: Given, set: &Manifests) -> Context {
        let flag = |value: Option<String>, name: &str| {
            value.map(|value| Known {
                value,
                from: format!("--{name}"),
            })
        };
        let vip = flag(given.vip, "vip").or_else(|| infer_vip(set));
        let dr_vips: Vec<Known> = [
            flag(given.primary_vip, "primary-vip"),
            flag(given.standby_vip, "standby-vip"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let platform_host = flag(given.platform_host, "platform-host").or_else(|| {
            from_objects(set, INSTALLER_REQUEST, &["console", "globalHost"])
                .or_else(|| app_release_value(set, "host"))
        });
        let host_ip = flag(given.host_ip, "host-ip")
            .or_else(|| from_objects(set, INSTALLER_REQUEST, &["hostIP"]));
        let catalog = given.catalog.or_else(|| {
            set.of_kind(CONFIG_MAP)
                .find(|object| object.name == CATALOG_CONFIG_MAP)
                .map(|object| Catalog::from_node(&object.root, &object.label()))
        });
        Context {
            phase: given.phase.unwrap_or(Phase::Bootstrap),
            // Naming a DR side's VIP says the installation is DR.
            dr: given.dr || !dr_vips.is_empty(),
            provider: given.provider.unwrap_or_else(|| infer_provider(set)),
            vip,
            dr_vips,
            platform_host,
            host_ip,
            catalog,
            fleet: given.fleet,
        }
    }
}

/// The VIP of the global cluster's BaremetalCluster (or the only one), then the installer
/// request's HA VIP, then the AppRelease handoff hook. Placeholders are not values.
fn infer_vip(set: &Manifests) -> Option<Known> {
    let clusters: Vec<&Object> = set.of_kind(BAREMETAL_CLUSTER).collect();
    let chosen = clusters
        .iter()
        .find(|object| object.name == set::GLOBAL)
        .or(if clusters.len() == 1 {
            clusters.first()
        } else {
            None
        });
    chosen
        .and_then(|object| known(object, &["spec", "controlPlaneLoadBalancer", "host"]))
        .or_else(|| {
            from_objects(
                set,
                INSTALLER_REQUEST,
                &["cluster", "features", "ha", "vip"],
            )
        })
        .or_else(|| {
            set.of_kind(APP_RELEASE).find_map(|object| {
                let entry = set::find_entry(&object.root, "controlPlaneVIP", 8)?;
                usable(entry.value.str()?).map(|value| Known {
                    value,
                    from: object.label(),
                })
            })
        })
}

fn infer_provider(set: &Manifests) -> Provider {
    for object in &set.objects {
        let provider = match object.kind.as_str() {
            "VSphereCluster" => Some(Provider::Vsphere),
            "HCSCluster" => Some(Provider::Hcs),
            "DCSCluster" => Some(Provider::Dcs),
            BAREMETAL_CLUSTER => Some(Provider::Baremetal),
            APP_RELEASE => match object.name.as_str() {
                "cluster-api-provider-vsphere" => Some(Provider::Vsphere),
                "cluster-api-provider-hcs" => Some(Provider::Hcs),
                "cluster-api-provider-dcs" => Some(Provider::Dcs),
                "cluster-api-provider-baremetal" => Some(Provider::Baremetal),
                _ => None,
            },
            _ => None,
        };
        if let Some(provider) = provider {
            return provider;
        }
    }
    Provider::Baremetal
}

fn from_objects(set: &Manifests, kind: &str, path: &[&str]) -> Option<Known> {
    set.of_kind(kind).find_map(|object| known(object, path))
}

fn known(object: &Object, path: &[&str]) -> Option<Known> {
    usable(object.str(path)?).map(|value| Known {
        value,
        from: object.label(),
    })
}

/// `global.<key>` of a provider AppRelease's values.
fn app_release_value(set: &Manifests, key: &str) -> Option<Known> {
    set.of_kind(APP_RELEASE).find_map(|object| {
        let values = set::find_key(&object.root, "values", 4)?;
        let global = values.get("global")?;
        usable(global.get(key)?.str()?).map(|value| Known {
            value,
            from: object.label(),
        })
    })
}

/// A value the user actually filled in: not a placeholder, not empty.
fn usable(value: &str) -> Option<String> {
    let value = value.trim();
    let placeholder =
        value.is_empty() || value.contains("${") || (value.contains('<') && value.contains('>'));
    (!placeholder).then(|| value.to_owned())
}

/// The host part of `https://host[:port][/path]`.
pub fn url_host(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split('/').next()?;
    if let Some(bracketed) = authority.strip_prefix('[') {
        return bracketed.split(']').next();
    }
    Some(
        authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host),
    )
}

pub fn is_ip(value: &str) -> bool {
    value.parse::<IpAddr>().is_ok()
}
