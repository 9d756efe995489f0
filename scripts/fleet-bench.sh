#!/usr/bin/env bash
# Benchmark on the simulated fleet (scripts/fleet-sim.sh), same hosts, same run:
#   ironprep check      the agent on every host (upload, verify, run, collect, clean up)
#   ironprep --network  the connectivity matrix between all hosts (3 control-plane, the rest
#                       workers, kube-ovn): whole run, network phase and matrix, from its note
#   ssh true floor      OpenSSH `ssh host true` for every host, CONCURRENCY at a time
#   ansible -m script   an equivalent shell probe with ansible-core, forks = CONCURRENCY
#                       (skipped when `ansible` is not installed: pip install ansible-core)
# and the controller's peak RSS. Prints one line per tool with the wall time.
#
#   fleet-bench.sh HOSTS [CONCURRENCY]     (root; default concurrency 32)
# Environment: IRONPREP (default target/release/ironprep), AGENT (default
# target/portable/ironprep-agent, else target/release/ironprep-agent).
set -euo pipefail
cd "$(dirname "$0")/.."

hosts=${1:?usage: fleet-bench.sh HOSTS [CONCURRENCY]}
concurrency=${2:-32}
ironprep=${IRONPREP:-target/release/ironprep}
agent=${AGENT:-target/portable/ironprep-agent}
[ -x "$agent" ] || agent=target/release/ironprep-agent
[ -x "$ironprep" ] || { echo "fleet-bench: build $ironprep first (cargo build --release)" >&2; exit 2; }
[ -x "$agent" ] || { echo "fleet-bench: no agent binary ($agent)" >&2; exit 2; }

dir=$(mktemp -d /var/lib/ironprep-bench.XXXXXX 2>/dev/null || mktemp -d "$PWD/target/bench.XXXXXX")
trap 'scripts/fleet-sim.sh down "$dir"; rm -rf "$dir"' EXIT
specs=()
for i in $(seq 1 "$hosts"); do specs+=("h$i"); done
scripts/fleet-sim.sh up "$dir" "${specs[@]}"

# Bounded by the same limits for everyone: the sshd side is identical.
elapsed() { local start=$1; echo "$(( ($(date +%s%N) - start) / 1000000 ))"; }

start=$(date +%s%N)
/usr/bin/time -f '%M' -o "$dir/rss" "$ironprep" check -i "$dir/inventory.yaml" \
  --ssh-key "$dir/client_key" --known-hosts "$dir/known_hosts" --agent "$agent" \
  --concurrency "$concurrency" --timeout 120 --format json --output "$dir/report.json" \
  2>"$dir/ironprep.log" || true
ironprep_ms=$(elapsed "$start")
reported=$(grep -o '"outcome": "reported"' "$dir/report.json" | wc -l)
echo "ironprep check     : ${ironprep_ms} ms for $hosts hosts ($reported reported), peak RSS $(tail -n 1 "$dir/rss") KiB"

{
  echo "[kube_control_plane]"
  head -n 3 "$dir/hosts.txt" | while read -r name address; do echo "$name ansible_host=$address"; done
  echo "[kube_node]"
  tail -n +4 "$dir/hosts.txt" | while read -r name address; do echo "$name ansible_host=$address"; done
} >"$dir/cluster.ini"
start=$(date +%s%N)
"$ironprep" check -i "$dir/cluster.ini" --user root --network --only net.hostname \
  --ssh-key "$dir/client_key" --known-hosts "$dir/known_hosts" --agent "$agent" \
  --concurrency "$concurrency" --timeout 120 --format json --output "$dir/network.json" \
  2>"$dir/network.log" || true
network_ms=$(elapsed "$start")
echo "ironprep --network : ${network_ms} ms; $(grep -o 'network: .*' "$dir/network.log" || echo 'no network note')"

start=$(date +%s%N)
cut -d' ' -f2 "$dir/hosts.txt" | xargs -P "$concurrency" -I{} \
  ssh -q -o BatchMode=yes -o UserKnownHostsFile="$dir/known_hosts" -o StrictHostKeyChecking=yes \
  -i "$dir/client_key" root@{} true
ssh_ms=$(elapsed "$start")
echo "ssh true floor     : ${ssh_ms} ms"

if command -v ansible >/dev/null; then
  cat >"$dir/probe.sh" <<'EOF'
#!/bin/sh
# The equivalent probe: a few of the facts and checks the agent reads.
hostname; uname -r; cat /etc/os-release >/dev/null; grep -c nameserver /etc/resolv.conf
cat /proc/swaps; cat /proc/cmdline; ls /sys/class/net; findmnt -n -o OPTIONS /tmp || true
ss -ltn 2>/dev/null | wc -l; nproc; grep MemTotal /proc/meminfo
EOF
  start=$(date +%s%N)
  ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_SSH_ARGS="-o UserKnownHostsFile=$dir/known_hosts" \
    ANSIBLE_PYTHON_INTERPRETER=auto_silent ansible -i "$dir/inventory.ini" all \
    --private-key "$dir/client_key" -f "$concurrency" -m script -a "$dir/probe.sh" \
    >"$dir/ansible.log" 2>&1 || true
  ansible_ms=$(elapsed "$start")
  ok=$(grep -c 'CHANGED\|SUCCESS' "$dir/ansible.log" || true)
  echo "ansible -m script  : ${ansible_ms} ms ($ok ok)"
else
  echo "ansible -m script  : skipped (pip install ansible-core)"
fi
