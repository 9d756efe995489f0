#!/usr/bin/env bash
# Every test of ironprep, as CI runs them: formatting, lints, the whole workspace's tests
# (unit, fixture snapshots, the read-only proof, certificates against openssl, the simulated
# SSH fleet), the portable agent's glibc and size gate, and a short fuzz run of the manifest
# loader (when a nightly toolchain is installed). Needs root for the test fleet.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cargo fmt --all -- --check
# One build serves clippy's and the tests' dependency graph: build the workspace once, then
# lint and test on top of it.
cargo build --workspace --all-targets --locked
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
scripts/build-agent.sh
scripts/fuzz-lint.sh 30
