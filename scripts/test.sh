#!/usr/bin/env bash
# Every test of ironprep, as CI runs them: formatting, lints, the whole workspace's tests
# (unit, fixture snapshots, the read-only proof, certificates against openssl, the simulated
# SSH fleet), the portable agent's glibc and size gate, and a short fuzz run of every parser
# of untrusted bytes (when a nightly toolchain is installed). Needs root for the test fleet.
#
# Every step runs even after an earlier one fails, and every test binary runs even after a
# failing one (--no-fail-fast), so one failure never hides the rest; the summary at the end
# names each failed step and the exit status is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

failed=()
step() {
  local name=$1
  shift
  echo "==> $name" >&2
  local started=$SECONDS
  if "$@"; then
    echo "==> $name: ok ($((SECONDS - started)) s)" >&2
  else
    echo "==> $name: FAILED ($((SECONDS - started)) s)" >&2
    failed+=("$name")
  fi
}

# Without its dependencies nothing below means anything: stop here if they cannot be installed.
scripts/install-deps.sh || exit 2
# Under this script no end-to-end test may skip for want of root, sushy-tools or the BMC
# captures: the dependencies are installed above, so a missing one is a failure.
export CI=true
step "cargo fmt" cargo fmt --all -- --check
# One build serves clippy's and the tests' dependency graph: build the workspace once, then
# lint and test on top of it.
step "cargo build" cargo build --workspace --all-targets --locked
step "cargo clippy" cargo clippy --workspace --all-targets --locked -- -D warnings
# The lean agent (no TLS probe) is the other build of the agent's code: linted as well.
step "cargo clippy (lean agent)" cargo clippy -p ironprep-agent --no-default-features --all-targets --locked -- -D warnings
# The agent hosts receive (glibc 2.17, ring) is built before the tests, and the end-to-end
# tests run it: what they prove holds for what ships, not only for the debug build.
step "portable agent build" scripts/build-agent.sh
if [ -x target/portable/ironprep-agent ]; then
  export IRONPREP_AGENT="$PWD/target/portable/ironprep-agent"
fi
step "cargo test" cargo test --workspace --locked --no-fail-fast
step "fuzz" scripts/fuzz.sh 10
step "dependency audit" scripts/audit.sh

echo >&2
if [ ${#failed[@]} -gt 0 ]; then
  echo "test.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "test.sh: every step passed" >&2
