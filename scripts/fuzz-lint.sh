#!/usr/bin/env bash
# Fuzzes the `ironprep lint` loader (controller/fuzz, target lint_loader) for SECONDS (default
# 30), starting from the lint fixtures as seed corpus. Exits non-zero when libFuzzer finds a
# crash, a hang (a single input over 10 s) or a memory blow-up; the reproducer is left in
# controller/fuzz/artifacts/lint_loader/. Without a nightly toolchain it says so and exits 0,
# so scripts/test.sh can call it everywhere.
#
# Usage: scripts/fuzz-lint.sh [SECONDS]
set -euo pipefail

seconds="${1:-30}"
case "$seconds" in
'' | *[!0-9]*)
    echo "usage: $0 [SECONDS]" >&2
    exit 2
    ;;
esac

# Pinned so that CI fuzzes with the same driver as the developer who wrote the target.
cargo_fuzz_version="0.13.1"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz_dir="$root/controller/fuzz"

if ! command -v rustup >/dev/null || ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz-lint: no nightly toolchain (cargo-fuzz needs one): skipped." >&2
    echo "fuzz-lint: install it with \`rustup toolchain install nightly\` to fuzz." >&2
    exit 0
fi

if ! cargo fuzz --version 2>/dev/null | grep -q "$cargo_fuzz_version"; then
    echo "fuzz-lint: installing cargo-fuzz $cargo_fuzz_version" >&2
    cargo install cargo-fuzz --locked --version "$cargo_fuzz_version"
fi

# libFuzzer grows its first corpus directory; the fixtures are only read.
corpus="$fuzz_dir/corpus/lint_loader"
mkdir -p "$corpus"
seeds="$(mktemp -d)"
trap 'rm -rf "$seeds"' EXIT
find "$root/controller/tests/lint-fixtures" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) \
    -size -64k -exec cp --backup=numbered -t "$seeds" {} +

cd "$fuzz_dir"
# -timeout: one input running longer than 10 s is a hang; -rss_limit_mb: a blow-up.
# -max_len: long enough for whole manifest sets, short enough to keep executions fast.
exec cargo +nightly fuzz run lint_loader "$corpus" "$seeds" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1
