#!/usr/bin/env bash
# Installs what building and testing ironprep needs on a Debian machine, and nothing when it is
# all there already. Run as root (CI machines and the fleet tests run as root).
#   openssh-server/-client  real sshd hosts of the test fleet
#   iproute2                network namespaces and veth links of the test fleet
#   nftables                firewall faults inside a simulated host (dropped ports); the
#                           agent's live firewall tests (nft in a private network namespace)
#   iptables                the agent's live legacy-iptables firewall test (iptables-legacy)
#   util-linux              unshare, for those namespaces
#   bsdutils                script(1): a terminal for the prompts tests type into
#   openssl                 certificate interoperability tests
#   strace                  the agent's read-only proof
#   binutils                objdump, for the portable agent's glibc gate
#   xorriso                 real SeedImage ISOs in elemental-operator's layout (tests/iso.rs)
#   chromium                headless browser that loads `--format html` reports (tests/html.rs)
#   cargo-zigbuild, ziglang the portable agent build (PyPI)
#   sushy-tools             real Redfish servers for the `ironprep bmc` tests (PyPI):
#                           sushy-static serves BMC mockups, sushy-emulator's fake driver
#                           takes virtual media, boot overrides and resets
#   cargo-deny              the dependency audit, scripts/audit.sh (crates.io, pinned)
set -euo pipefail

packages=(openssh-server openssh-client iproute2 nftables iptables util-linux bsdutils openssl strace binutils procps kmod sudo xorriso chromium)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing Debian packages: ${missing[*]} (run this script as root)" >&2
    exit 2
  fi
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo-zigbuild >/dev/null || ! python3 -m ziglang version >/dev/null 2>&1; then
  echo "install-deps: installing cargo-zigbuild and ziglang (PyPI)" >&2
  python3 -m pip install --quiet --disable-pip-version-check "cargo-zigbuild==0.24.0" "ziglang==0.15.1"
fi

if ! command -v sushy-emulator >/dev/null || ! command -v sushy-static >/dev/null; then
  echo "install-deps: installing sushy-tools (PyPI)" >&2
  python3 -m pip install --quiet --disable-pip-version-check "sushy-tools==2.2.0"
fi

if ! cargo deny --version 2>/dev/null | grep -q "0.20.2"; then
  echo "install-deps: installing cargo-deny 0.20.2 (crates.io; builds for several minutes)" >&2
  cargo install --quiet --locked cargo-deny --version 0.20.2
fi
