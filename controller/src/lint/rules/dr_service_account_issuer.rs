//! `dr.service-account-issuer`: a token is accepted only by an API server whose issuer and
//! audiences it names. The hosts' `baremetal-system-agent` token was issued by the primary, so
//! the standby must use the very same `service-account-issuer` and `api-audiences` (seed 000,
//! 1424 and 1445–1446; seed 002, Shared Token Requirements). Only `lint --primary DIR
//! --standby DIR` sees both sides.

use super::describe;
use super::kcp_common::{baremetal_kcps, extra_arg, extra_arg_field, extra_args_pos};
use crate::lint::context::{Context, Provider};
use crate::lint::object::Object;
use crate::lint::rule::{Rule, Side, Sink};
use crate::lint::set::Manifests;

/// kubeadm's issuer when the flag is not set; `--api-audiences` defaults to the issuer.
const DEFAULT_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

pub struct ServiceAccountIssuer;

impl Rule for ServiceAccountIssuer {
    describe!(
        "dr.service-account-issuer",
        "both DR sides' API servers use the same service-account-issuer and api-audiences (lint --primary DIR --standby DIR)",
        why: "The hosts keep the baremetal-system-agent token the primary issued. An API server \
              accepts a token only if it names that server's issuer and one of its audiences, \
              so after failover the standby rejects every host unless both sides use the same \
              service-account-issuer and api-audiences (seed 000, Prepare Shared ServiceAccount \
              Signing Key; seed 002, Shared Token Requirements). Unset, kubeadm uses \
              https://kubernetes.default.svc.cluster.local for both.",
        example: "spec:\n  kubeadmConfigSpec:\n    clusterConfiguration:\n      apiServer:\n        extraArgs:\n          service-account-issuer: https://kubernetes.default.svc.cluster.local   # same on both sides\n          api-audiences: https://kubernetes.default.svc.cluster.local",
    );

    /// One side alone has nothing to compare with.
    fn check(&self, _: &Manifests, _: &Context, _: &mut Sink) {}

    fn check_pair(&self, primary: Side<'_>, standby: Side<'_>, sink: &mut Sink) {
        // Only Bare Metal hosts hold a token issued by one side (seed 000, DR section).
        if primary.context.provider != Provider::Baremetal {
            return;
        }
        let (Some(primary_kcp), Some(standby_kcp)) = (global_kcp(primary), global_kcp(standby))
        else {
            return;
        };
        for flag in ["service-account-issuer", "api-audiences"] {
            let (wanted, wanted_at) = effective(primary_kcp, flag);
            let (found, _) = effective(standby_kcp, flag);
            if wanted == found {
                continue;
            }
            let pos = extra_arg(standby_kcp, "apiServer", flag)
                .map_or_else(|| extra_args_pos(standby_kcp, "apiServer"), |(_, pos)| pos);
            sink.at(
                standby_kcp,
                pos,
                extra_arg_field("apiServer", flag),
                format!(
                    "{flag} is {found} on the standby but {wanted} on the primary ({}{wanted_at}): \
                     the hosts' token is refused after failover",
                    primary_kcp.source.name
                ),
                format!("set `{flag}: {wanted}` on both sides"),
            );
        }
    }
}

fn global_kcp(side: Side<'_>) -> Option<&Object> {
    let set = side.set;
    baremetal_kcps(set).find(|object| set.is_global(object))
}

/// The value the API server runs with, and where the primary sets it (`:LINE`, or
/// ` (kubeadm default)`).
fn effective(object: &Object, flag: &str) -> (String, String) {
    if let Some((value, pos)) = extra_arg(object, "apiServer", flag) {
        return (value.trim().to_owned(), format!(":{}", pos.line));
    }
    if flag == "api-audiences" {
        let (issuer, _) = effective(object, "service-account-issuer");
        return (issuer, ", defaulting to the issuer".to_owned());
    }
    (DEFAULT_ISSUER.to_owned(), ", kubeadm's default".to_owned())
}
