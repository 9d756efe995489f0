#!/usr/bin/env bash
# Builds the portable agents: binaries of the `agent` profile (release, optimised for size)
# that need no glibc symbol newer than 2.17, so they run on RHEL/CentOS 7 and Kylin V10 as well
# as anything newer. Uses cargo-zigbuild with zig as the linker against glibc 2.17 headers,
# which reuses the installed x86_64-unknown-linux-gnu standard library (no new rustup target is
# needed).
#
#   target/portable/ironprep-agent        every check, the reach.* TLS probe included (ring)
#   target/portable/ironprep-agent-lean   the same without the TLS probe (--no-default-features):
#                                         what `ironprep check` uploads when no --ca is given
#   target/portable/*.zst                 each compressed at zstd level 19, once, here: the
#                                         controller sends that file when it decompresses to
#                                         exactly the agent beside it
#   target/portable/*.xz                  each compressed with xz (x86 filter, preset 9e), for
#                                         hosts with xz and no zstd, on the same terms
#
# Then gates the result: highest GLIBC symbol version <= 2.17, the agent <= 3.4 MB (about
# 2.9 MB on ring; aws-lc-rs back in the agent would make it 3.6 MB), the lean agent <= 1.8 MB
# (about 1.6 MB) and its uploads <= 680,000 bytes compressed (about 669 KB as zstd, 586 KB as
# xz), so that with SSH's framing (about 8 KB) a host receives under 700 KB
# (scripts/fleet-bench.sh measures it).
set -euo pipefail
cd "$(dirname "$0")/.."

ZIGBUILD_VERSION=0.24.0
ZIG_VERSION=0.15.1   # pinned: zig releases have broken linking before
MAX_GLIBC=2.17
MAX_BYTES=$((3400 * 1000))
MAX_LEAN_BYTES=$((1800 * 1000))
MAX_LEAN_UPLOAD_BYTES=680000

if ! command -v cargo-zigbuild >/dev/null || ! python3 -m ziglang version >/dev/null 2>&1; then
  echo "installing cargo-zigbuild $ZIGBUILD_VERSION and ziglang $ZIG_VERSION (PyPI)" >&2
  python3 -m pip install --quiet "cargo-zigbuild==$ZIGBUILD_VERSION" "ziglang==$ZIG_VERSION"
  hash -r
fi

target=x86_64-unknown-linux-gnu
mkdir -p target/portable

# One stamp for both builds of this run (commit, time, process): `ironprep check` sends the
# lean agent only beside the full agent of the same run (ironprep_schema::stamp), and
# `ironprep-agent --version` shows it.
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo nogit)
git diff --quiet HEAD 2>/dev/null || commit="$commit-dirty"
export IRONPREP_AGENT_BUILD="$commit.$(date -u +%Y%m%dT%H%M%SZ).$$"

# build NAME CARGO_ARGS...: one portable binary, checked for its glibc symbols, as
# target/portable/NAME (written beside and renamed: never a half-copied agent).
build() {
  local name=$1
  shift
  cargo zigbuild --locked --profile agent -p ironprep-agent --target "$target.$MAX_GLIBC" "$@"
  cp "${CARGO_TARGET_DIR:-target}/$target/agent/ironprep-agent" "target/portable/$name.tmp"
  mv "target/portable/$name.tmp" "target/portable/$name"
  local binary=target/portable/$name highest
  highest=$(objdump -T "$binary" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)
  echo "portable agent: $binary, $(stat -c %s "$binary") bytes, highest glibc symbol GLIBC_$highest, build $IRONPREP_AGENT_BUILD"
  if ! grep -qF "ironprep-agent-build:$IRONPREP_AGENT_BUILD" "$binary"; then
    echo "error: $binary does not carry its build stamp $IRONPREP_AGENT_BUILD" >&2
    exit 1
  fi
  if [ "$(printf '%s\n%s\n' "$highest" "$MAX_GLIBC" | sort -V | tail -n 1)" != "$MAX_GLIBC" ]; then
    echo "error: $binary needs GLIBC_$highest, newer than $MAX_GLIBC" >&2
    exit 1
  fi
  # Level 19: 11% smaller than level 6 on the lean agent, as fast to decompress; the ultra
  # levels (20-22) came out no smaller on it and ask the host for more memory.
  if command -v zstd >/dev/null; then
    zstd -q -19 --check -f -o "$binary.zst.tmp" "$binary"
    mv "$binary.zst.tmp" "$binary.zst"
    echo "portable agent: $binary.zst, $(stat -c %s "$binary.zst") bytes"
  else
    rm -f "$binary.zst"
    echo "portable agent: no zstd here; the controller compresses $name at level 6" >&2
  fi
  # xz for hosts without zstd (RHEL/CentOS 7): the x86 BCJ filter (the target above) and preset
  # 9e make the lean agent 586 KB where the controller's gzip sends about 910 KB; a 4 MiB
  # dictionary holds the whole agent and asks a host about 5 MiB to decode; -T1 makes the one
  # block the controller accepts. About a second of CPU, paid here once: the controller never
  # makes it, and without it those hosts get gzip.
  if command -v xz >/dev/null; then
    xz -q -T1 --check=crc64 --x86 --lzma2=preset=9e,dict=4MiB -c "$binary" >"$binary.xz.tmp"
    mv "$binary.xz.tmp" "$binary.xz"
    echo "portable agent: $binary.xz, $(stat -c %s "$binary.xz") bytes"
  else
    rm -f "$binary.xz"
    echo "portable agent: no xz here; hosts without zstd get $name as gzip" >&2
  fi
}

# within NAME FILE MAX: FILE is at most MAX bytes.
within() {
  local size
  size=$(stat -c %s "$2")
  if [ "$size" -gt "$3" ]; then
    echo "error: $1 $2 is $size bytes, more than $3" >&2
    exit 1
  fi
}

build ironprep-agent
build ironprep-agent-lean --no-default-features
within agent target/portable/ironprep-agent "$MAX_BYTES"
within "lean agent" target/portable/ironprep-agent-lean "$MAX_LEAN_BYTES"
for codec in zst xz; do
  if [ -f "target/portable/ironprep-agent-lean.$codec" ]; then
    within "lean agent's upload" "target/portable/ironprep-agent-lean.$codec" "$MAX_LEAN_UPLOAD_BYTES"
  fi
done
