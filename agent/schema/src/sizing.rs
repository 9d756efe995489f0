//! The sizing guide (seed 004, "Планирование емкости" and "Машины"): what a node needs by its
//! role and the installation scenario, and the ARM factors. Shared by the agent's and the
//! BMC's `cpu.cores` and `memory.size`, so a host gets the same verdict whichever way it was
//! checked.
//!
//! The figures, x86 (minimum / recommended):
//! - control-plane node: 8 cores 16 GB / 16 cores 32 GB;
//! - worker node: 12 cores 24 GB / 24 cores 48 GB;
//! - the single-node PoC: 16 cores 32 GB (one tier).
//!
//! ARM (Kunpeng 920): at least 1.5 times the x86 minimum, twice the minimum recommended ("if
//! x86 needs 8 cores 16 GB, ARM needs at least 12 cores 24 GB, 16 cores 32 GB recommended").

/// Cores and memory (GB of installed RAM) of one tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tier {
    pub cores: usize,
    pub memory_gb: u64,
}

/// What a node needs: the minimum fails below it, the recommended tier warns below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub minimum: Tier,
    pub recommended: Tier,
    /// `control-plane node`, `worker node`, `single-node PoC`.
    pub basis: &'static str,
    pub arm: bool,
}

pub const CONTROL_PLANE: (Tier, Tier) = (
    Tier {
        cores: 8,
        memory_gb: 16,
    },
    Tier {
        cores: 16,
        memory_gb: 32,
    },
);
pub const WORKER: (Tier, Tier) = (
    Tier {
        cores: 12,
        memory_gb: 24,
    },
    Tier {
        cores: 24,
        memory_gb: 48,
    },
);
pub const SINGLE_NODE: Tier = Tier {
    cores: 16,
    memory_gb: 32,
};

/// What a node with these roles needs; `None` for a node that is neither a control-plane nor
/// a worker node (an installer host alone). A node with both roles needs the larger of each
/// figure; `single_node` is the PoC that runs everything on one node.
pub fn requirement(
    control_plane: bool,
    worker: bool,
    single_node: bool,
    arm: bool,
) -> Option<Requirement> {
    let (minimum, recommended, basis) = match single_node {
        true => (SINGLE_NODE, SINGLE_NODE, "single-node PoC"),
        false => match (control_plane, worker) {
            (true, true) => (WORKER.0, WORKER.1, "control-plane and worker node"),
            (true, false) => (CONTROL_PLANE.0, CONTROL_PLANE.1, "control-plane node"),
            (false, true) => (WORKER.0, WORKER.1, "worker node"),
            (false, false) => return None,
        },
    };
    if !arm {
        return Some(Requirement {
            minimum,
            recommended,
            basis,
            arm,
        });
    }
    // 1.5× the minimum, rounded up; twice the minimum recommended (never below x86's).
    let half_again = |value: u64| value + value.div_ceil(2);
    Some(Requirement {
        minimum: Tier {
            cores: half_again(minimum.cores as u64) as usize,
            memory_gb: half_again(minimum.memory_gb),
        },
        recommended: Tier {
            cores: (minimum.cores * 2).max(recommended.cores),
            memory_gb: (minimum.memory_gb * 2).max(recommended.memory_gb),
        },
        basis,
        arm,
    })
}

impl Requirement {
    /// `≥ 8 cores for a control-plane node (16 recommended)`.
    pub fn describe(&self, field: impl Fn(Tier) -> String) -> String {
        let arm = if self.arm { " on ARM" } else { "" };
        if self.minimum == self.recommended {
            format!("≥ {} for a {}{arm}", field(self.minimum), self.basis)
        } else {
            format!(
                "≥ {} for a {}{arm} ({} recommended)",
                field(self.minimum),
                self.basis,
                field(self.recommended)
            )
        }
    }
}
