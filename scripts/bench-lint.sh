#!/usr/bin/env bash
# Benchmark of `ironprep lint`: 5,000 objects across 100 files must lint in ≤ 1 s, and time
# must grow linearly with the input (1×, 2×, 4×). Usage: scripts/bench-lint.sh [ironprep binary]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-}
if [[ -z $bin ]]; then
    cargo build --release -p ironprep --manifest-path "$root/Cargo.toml" >&2
    bin=${CARGO_TARGET_DIR:-$root/target}/release/ironprep
fi
template=$root/controller/tests/lint-fixtures/global-baremetal/02-new-global.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One file: copies of the 12-object global set, renamed per copy, until it holds $2 objects.
make_file() {
    local file=$1 objects=$2 copy=0 count=0
    : >"$file"
    while ((count < objects)); do
        sed "s/global-/global-f${file##*/}c${copy}-/g" "$template" >>"$file"
        printf '\n---\n' >>"$file"
        copy=$((copy + 1))
        count=$((count + 12))
    done
}

run() {
    local scale=$1 files=$((100 * $1)) dir=$work/x$1
    mkdir -p "$dir"
    for ((i = 0; i < files; i++)); do make_file "$dir/m$i.yaml" 50; done
    local start end
    start=$(date +%s%N)
    "$bin" lint --format json "$dir" >/dev/null || true
    end=$(date +%s%N)
    local summary
    summary=$({ "$bin" lint --color never "$dir" || true; } | tail -1)
    printf '%sx: %4d files, %6d ms  (%s)\n' "$scale" "$files" $(((end - start) / 1000000)) "$summary"
}

for scale in 1 2 4; do run "$scale"; done
