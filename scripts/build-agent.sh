#!/usr/bin/env bash
# Builds the portable agent, target/portable/ironprep-agent: a release binary that needs no
# glibc symbol newer than 2.17, so it runs on RHEL/CentOS 7 and Kylin V10 as well as anything
# newer. Uses cargo-zigbuild with zig as the linker against glibc 2.17 headers, which reuses
# the installed x86_64-unknown-linux-gnu standard library (no new rustup target is needed).
#
# Then gates the result: highest GLIBC symbol version <= 2.17 and size <= 3.4 MB (it is about
# 3.0 MB on ring; aws-lc-rs back in the agent would make it 3.6 MB).
set -euo pipefail
cd "$(dirname "$0")/.."

ZIGBUILD_VERSION=0.24.0
ZIG_VERSION=0.15.1   # pinned: zig releases have broken linking before
MAX_GLIBC=2.17
MAX_BYTES=$((3400 * 1000))

if ! command -v cargo-zigbuild >/dev/null || ! python3 -m ziglang version >/dev/null 2>&1; then
  echo "installing cargo-zigbuild $ZIGBUILD_VERSION and ziglang $ZIG_VERSION (PyPI)" >&2
  python3 -m pip install --quiet "cargo-zigbuild==$ZIGBUILD_VERSION" "ziglang==$ZIG_VERSION"
  hash -r
fi

target=x86_64-unknown-linux-gnu
cargo zigbuild --locked --release -p ironprep-agent --target "$target.$MAX_GLIBC"

mkdir -p target/portable
cp "${CARGO_TARGET_DIR:-target}/$target/release/ironprep-agent" target/portable/ironprep-agent.tmp
mv target/portable/ironprep-agent.tmp target/portable/ironprep-agent

binary=target/portable/ironprep-agent
highest=$(objdump -T "$binary" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)
size=$(stat -c %s "$binary")
echo "portable agent: $binary, $size bytes, highest glibc symbol GLIBC_$highest"

if [ "$(printf '%s\n%s\n' "$highest" "$MAX_GLIBC" | sort -V | tail -n 1)" != "$MAX_GLIBC" ]; then
  echo "error: $binary needs GLIBC_$highest, newer than $MAX_GLIBC" >&2
  exit 1
fi
if [ "$size" -gt "$MAX_BYTES" ]; then
  echo "error: $binary is $size bytes, more than $MAX_BYTES" >&2
  exit 1
fi
