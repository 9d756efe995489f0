//! End-to-end tests of ironprep: the `ironprep` controller and `ironprep-agent` together, on
//! this machine (`check_local`), against real TLS servers on loopback (`probe`, `check_reach`)
//! and against a simulated fleet of real sshd hosts in network namespaces (`fleet`,
//! `fleet_network`, `check_reach`; see `scripts/fleet-sim.sh`). They need root for the fleet.
//!
//! The binaries belong to other packages, so cargo's `CARGO_BIN_EXE_*` cannot name them: they
//! are found beside the test executable, where `cargo test --workspace` (and `scripts/test.sh`)
//! builds them.

use std::path::PathBuf;

/// A binary of the workspace, from the target directory this test was built in.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable has a path");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test executable lives in target/<profile>/deps");
    let path = profile_dir.join(name);
    assert!(
        path.is_file(),
        "{} is missing: build the workspace first (cargo build --workspace)",
        path.display()
    );
    path
}

/// The `ironprep` controller.
pub fn ironprep() -> PathBuf {
    binary("ironprep")
}
