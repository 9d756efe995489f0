//! Shared by `baremetalcluster.*`: the control-plane load balancer (alive VIP) and the DR
//! encryption Secret of a BaremetalCluster.

pub(super) const LB: [&str; 2] = ["spec", "controlPlaneLoadBalancer"];

pub(super) fn lb(key: &'static str) -> [&'static str; 3] {
    [LB[0], LB[1], key]
}

pub(super) fn filled(value: &str) -> bool {
    !value.contains(['<', '$'])
}
