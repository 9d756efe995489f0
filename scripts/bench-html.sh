#!/usr/bin/env bash
# The HTML report of a 1,000-host fleet: time to render and size of the page (targets: ≤ 1 s,
# ≤ 5 MB). The fleet is this machine's real report copied to N hosts (see
# agent/report/examples/render-html.rs); the render is timed in a release build. The same view
# is then rendered by every other sink, timed: the table's cost against a fleet run's length is
# the "table adds ≤ 5 %" figure.
#   scripts/bench-html.sh [HOSTS]     (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
hosts="${1:-1000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cargo build -q -p ironprep -p ironprep-agent
IRONPREP_AGENT="$PWD/target/debug/ironprep-agent" target/debug/ironprep check --format json \
  --output "$work/local.json" || true   # exit 1 when this machine fails a check
cargo build -q --release -p ironprep-report --features html,junit --example render-html
for run in 1 2 3; do
  target/release/examples/render-html "$work/local.json" "$hosts" "$work/fleet.html"
done
