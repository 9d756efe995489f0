#!/usr/bin/env bash
# Fuzzes every parser that takes untrusted bytes (controller/fuzz), each target for SECONDS
# (default 10): lint_loader (manifests), inventory (INI and YAML), known_hosts (and BMC pins),
# ssh_config, pem (and a BMC's DER certificate), agent_report (a host's stdout, as the fleet
# runner reads and renders it), redfish (BMC answers) and iso_image (ISO 9660 records and the
# registration config in them).
#
# Every target is built by one `cargo fuzz build`, then each runs from the corpus it grew
# before (controller/fuzz/corpus/TARGET, not committed) plus seeds taken from the repository:
# controller/fuzz/seeds/TARGET and the tests' fixtures (ISO seeds are built from
# seeds/iso_image with xorriso). Exits 1 when any target finds a crash, a hang (one input over
# 10 s) or a memory blow-up (over 2 GiB), printing the reproducer's path
# (controller/fuzz/artifacts/TARGET/) and the command that replays it. Without a nightly
# toolchain it says so and exits 0, so scripts/test.sh can call it everywhere.
#
# Built without AddressSanitizer (-s none): ironprep has no `unsafe`, the bugs a Rust parser
# has are panics, overflows (debug assertions stay on), hangs and blow-ups, which libFuzzer
# sees without it, and ASan would double the build and halve the executions.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail

all_targets=(lint_loader inventory known_hosts ssh_config pem agent_report redfish iso_image)

seconds="${1:-10}"
case "$seconds" in
'' | *[!0-9]*)
    echo "usage: $0 [SECONDS] [TARGET...] (targets: ${all_targets[*]})" >&2
    exit 2
    ;;
esac
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=("${all_targets[@]}")
fi
for target in "${targets[@]}"; do
    case " ${all_targets[*]} " in
    *" $target "*) ;;
    *)
        echo "fuzz: unknown target $target (targets: ${all_targets[*]})" >&2
        exit 2
        ;;
    esac
done

# Pinned so that CI fuzzes with the same driver as the developer who wrote the targets.
cargo_fuzz_version="0.13.1"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz_dir="$root/controller/fuzz"

if ! command -v rustup >/dev/null || ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz: no nightly toolchain (cargo-fuzz needs one): skipped." >&2
    echo "fuzz: install it with \`rustup toolchain install nightly\` to fuzz." >&2
    exit 0
fi

if ! cargo fuzz --version 2>/dev/null | grep -q "$cargo_fuzz_version"; then
    echo "fuzz: installing cargo-fuzz $cargo_fuzz_version" >&2
    cargo install cargo-fuzz --locked --version "$cargo_fuzz_version"
fi

cd "$fuzz_dir"
build_start=$SECONDS
cargo +nightly fuzz build --sanitizer none
echo "fuzz: built ${#all_targets[@]} targets in $((SECONDS - build_start)) s" >&2
bin_dir="$fuzz_dir/target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# Copies the regular files under the directories (those that exist) whose find expression
# matches, up to 64 KiB each, into $seeds.
copy_seeds() {
    local -a dirs=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        [ -d "$1" ] && dirs+=("$1")
        shift
    done
    shift
    [ ${#dirs[@]} -gt 0 ] || return 0
    find "${dirs[@]}" -type f \( "$@" \) -size -64k -print0 |
        while IFS= read -r -d '' file; do
            cp "$file" "$seeds/$(echo "$file" | sha1sum | cut -c1-12)-$(basename "$file")"
        done
}

# Insta snapshots of the agent's JSON reports, without the snapshot header and with numbers
# where the snapshot redacted them, so that each seed is a report the controller accepts.
agent_report_seeds() {
    local snapshot
    for snapshot in "$root"/agent/tests/snapshots/*.json.snap; do
        [ -f "$snapshot" ] || continue
        awk 'header < 2 { if ($0 == "---") header++; next } { print }' "$snapshot" |
            sed -e 's/"\[duration\]"/1234/' -e 's/"\[rss\]"/2048/' \
                >"$seeds/$(basename "$snapshot" .snap)"
    done
}

# Images in the layout elemental-operator writes (config at the root; Rock Ridge and Joliet
# names, or plain ISO 9660 ones), one with the seed config and one with a real CA in it.
iso_image_seeds() {
    if ! command -v xorriso >/dev/null; then
        echo "fuzz: no xorriso (scripts/install-deps.sh installs it): iso_image starts unseeded" >&2
        return 0
    fi
    local config="$fuzz_dir/seeds/iso_image/livecd-cloud-config.yaml"
    mkdir -p "$scratch/iso/plain" "$scratch/iso/ca"
    cp "$config" "$scratch/iso/plain/"
    {
        sed '/ca-cert:/,$d' "$config"
        echo "    ca-cert: |-"
        sed 's/^/      /' "$root/certs/tests/pki/ca.crt"
        echo "    emulate-tpm: true"
    } >"$scratch/iso/ca/livecd-cloud-config.yaml"
    xorriso -as mkisofs -quiet -no-pad -V COS_VOLUME -J -R -o "$seeds/rock-ridge.iso" \
        "$scratch/iso/ca" 2>/dev/null
    xorriso -as mkisofs -quiet -no-pad -V COS_VOLUME -o "$seeds/iso9660.iso" \
        "$scratch/iso/plain" 2>/dev/null
}

failed=()
for target in "${targets[@]}"; do
    seeds="$scratch/seeds-$target"
    mkdir -p "$seeds"
    # Manifests go up to 64 KiB; an ISO needs 34 KiB before its first record.
    max_len=65536
    case "$target" in
    lint_loader)
        copy_seeds "$root/controller/tests/lint-fixtures" -- \
            -name '*.yaml' -o -name '*.yml' -o -name '*.json'
        ;;
    inventory)
        copy_seeds "$fuzz_dir/seeds/inventory" -- -true
        ;;
    known_hosts | ssh_config)
        copy_seeds "$fuzz_dir/seeds/$target" -- -true
        ;;
    pem)
        copy_seeds "$root/certs/tests" "$root/agent/tests/fixtures" -- \
            -name '*.crt' -o -name '*.pem' -o -name '*.key'
        ;;
    agent_report)
        agent_report_seeds
        max_len=262144
        ;;
    redfish)
        copy_seeds "$root/tests/fixtures/redfish" -- -name '*.json'
        ;;
    iso_image)
        iso_image_seeds
        max_len=131072
        ;;
    esac
    # libFuzzer adds what it finds to its first directory; the seeds are only read.
    corpus="$fuzz_dir/corpus/$target"
    artifacts="$fuzz_dir/artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    log="$scratch/$target.log"
    echo "fuzz: $target for $seconds s ($(find "$seeds" -type f | wc -l) seeds)" >&2
    # -timeout: one input running longer than 10 s is a hang; -rss_limit_mb: a blow-up.
    status=0
    "$bin_dir/$target" "$corpus" "$seeds" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -max_len="$max_len" -artifact_prefix="$artifacts/" \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    if [ "$status" -eq 0 ]; then
        echo "fuzz: $target: ok, ${runs:-?} runs, ${speed:-?} exec/s" >&2
        continue
    fi
    failed+=("$target")
    tail -n 60 "$log" >&2
    reproducer=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    echo "fuzz: $target FAILED (exit $status): reproducer ${reproducer:-(none written)}" >&2
    if [ -n "$reproducer" ]; then
        echo "fuzz:   replay: (cd controller/fuzz && cargo +nightly fuzz run -s none $target $reproducer)" >&2
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: FAILED: ${failed[*]}" >&2
    exit 1
fi
