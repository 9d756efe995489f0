#!/usr/bin/env bash
# Benchmark on the simulated fleet (scripts/fleet-sim.sh), same hosts, same run:
#   ironprep check      the agent on every host (upload, verify, run, collect, clean up), with
#                       the controller's CPU per host and peak RSS, and the bytes on the wire
#                       (what the controller sent into the fleet's bridge, per host: SSH,
#                       TCP and IP included)
#   OpenSSH same job    `ssh host 'gzip -dc >agent; ./agent --format json; rm'` for every host,
#                       CONCURRENCY at a time (curve25519, the binary ironprep sends,
#                       gzip-compressed), with its bytes on the wire
#   bare zstd upload    the same job by hand with the .zst ironprep sends (`zstd -dc`, mktemp,
#                       chmod, run, rm and nothing else): an upload with none of ironprep's
#                       safeguards; its machine CPU with ironprep's controller in place of its
#                       ssh clients is the floor of any tool that uploads this agent (see the
#                       ratio lines)
#   job as filed        with FILED_AGENT=PATH only: the OpenSSH job sending that binary instead
#                       (gzip -1). The agent of a0a5361 (`git worktree add ../filed a0a5361`,
#                       then `scripts/build-agent.sh` there) is the one issue 16 timed when it
#                       measured ratio 1.0 (1.66 MiB at gzip -6): ironprep today against the
#                       job by hand as the issue timed it
#   agent preinstalled  OpenSSH running the same agent already on every host, nothing uploaded
#                       or removed: the hosts' sshd, the agent and the clients alone, the floor
#                       of any tool that runs this agent through the hosts' sshd on one box
#   ssh true floor      OpenSSH `ssh host true` for every host, CONCURRENCY at a time
#   ansible -m script   the agent itself as the script, forks = CONCURRENCY (skipped when
#                       `ansible` is not installed: pip install ansible-core)
#   one host at a time  ironprep and the OpenSSH job over the first LATENCY_HOSTS hosts
#                       (default 20), concurrency 1: each host has the box's CPU to itself, as
#                       a real host has its own, so the figure is a host's latency (handshake,
#                       round trips, upload, run) rather than the box's shared CPU
#   ironprep --network  the connectivity matrix between all hosts (3 control-plane, the rest
#                       workers, kube-ovn): whole run, network phase and matrix, from its note
# Prints one line per tool with the wall time, then the ratios the footprint targets name.
# ironprep and the OpenSSH job run as ROUNDS pairs (default 3; one box is noisy, a pair shares
# its moment) and the ratio is the median of the pairs'. Each line also splits the machine's CPU
# per host into the hosts' side (sshd, the login shell, the script or command, the decoder and
# the agent, measured in a cgroup holding the fleet's sshd processes) and the controller's (or
# the ssh clients').
#
#   fleet-bench.sh HOSTS [CONCURRENCY]     (root; default concurrency 32)
# Environment: IRONPREP (default target/release/ironprep), AGENT (default
# target/portable/ironprep-agent, else target/release/ironprep-agent; without --ca ironprep
# sends AGENT-lean when it is there, and so do the other tools here), NETWORK=0 skips the
# --network run, ANSIBLE=0 the Ansible one (minutes at 1,000 hosts), ROUNDS the pairs,
# LATENCY_HOSTS the one-at-a-time runs (0 skips them), FILED_AGENT the job as filed, FAULTS
# fleet-sim faults for every host (FAULTS=without=zstd: RHEL 7's base, where the agent travels
# as xz).
set -euo pipefail
cd "$(dirname "$0")/.."

hosts=${1:?usage: fleet-bench.sh HOSTS [CONCURRENCY]}
concurrency=${2:-32}
ironprep=${IRONPREP:-target/release/ironprep}
agent=${AGENT:-target/portable/ironprep-agent}
[ -x "$agent" ] || agent=target/release/ironprep-agent
[ -x "$ironprep" ] || { echo "fleet-bench: build $ironprep first (cargo build --release)" >&2; exit 2; }
[ -x "$agent" ] || { echo "fleet-bench: no agent binary ($agent)" >&2; exit 2; }
if [ -n "${FILED_AGENT:-}" ] && ! { [ -f "$FILED_AGENT" ] && [ -x "$FILED_AGENT" ]; }; then
  echo "fleet-bench: FILED_AGENT=$FILED_AGENT is not an executable file" >&2
  exit 2
fi

rounds=${ROUNDS:-3}

dir=$(mktemp -d /var/lib/ironprep-bench.XXXXXX 2>/dev/null || mktemp -d "$PWD/target/bench.XXXXXX")
# The hosts' side: a CPU-accounting cgroup (v2 or v1's cpuacct) that the fleet's sshd
# processes join; every session, shell and agent they start is counted there.
cgroup=""
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  cgroup=/sys/fs/cgroup/ironprep-bench.$$
elif [ -f /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then
  cgroup=/sys/fs/cgroup/cpuacct/ironprep-bench.$$
fi
[ -z "$cgroup" ] || mkdir "$cgroup" 2>/dev/null || cgroup=""
trap 'scripts/fleet-sim.sh down "$dir"; rm -rf "$dir"; [ -z "$cgroup" ] || rmdir "$cgroup" 2>/dev/null || true' EXIT
specs=()
for i in $(seq 1 "$hosts"); do specs+=("h$i${FAULTS:+:$FAULTS}"); done
scripts/fleet-sim.sh up "$dir" "${specs[@]}"
if [ -n "$cgroup" ]; then
  while read -r pid; do echo "$pid" >"$cgroup/cgroup.procs" 2>/dev/null || true; done <"$dir/pids"
fi
# CPU time of the hosts' side so far, in microseconds (0 without a cgroup).
hosts_cpu() {
  if [ -f "$cgroup/cpu.stat" ]; then
    awk '/^usage_usec/ { print $2 }' "$cgroup/cpu.stat"
  elif [ -f "$cgroup/cpuacct.usage" ]; then
    echo $(( $(cat "$cgroup/cpuacct.usage") / 1000 ))
  else
    echo 0
  fi
}
hosts_per_host() {
  if [ -n "$cgroup" ]; then
    awk -v b="$1" -v a="$(hosts_cpu)" -v n="$hosts" 'BEGIN { printf "%.1f ms", (a - b) / 1000 / n }'
  else
    echo "n/a (no cgroup)"
  fi
}

# Bounded by the same limits for everyone: the sshd side is identical.
elapsed() { local start=$1; echo "$(( ($(date +%s%N) - start) / 1000000 ))"; }
# What the controller's side has sent into the fleet's bridge so far, in bytes.
bridge=$(cat "$dir/bridge")
sent() { cat "/sys/class/net/$bridge/statistics/tx_bytes"; }
per_host() { echo "$(( ($(sent) - $1) / hosts ))"; }
# CPU the whole machine spent (every process: controller, sshd, the hosts' scripts and agents),
# in jiffies; on one box that is what the tools share, so its figure per host says what a run
# costs beyond the controller.
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
box_per_host() {
  awk -v b="$1" -v a="$(busy)" -v n="$hosts" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.1f", (a - b) * 1000 / hz / n }'
}
# CPU per host, in ms, of what GNU time measured into FILE ("user sys [...]" on its last line;
# it says "Command exited with non-zero status 1" first when a check failed).
time_per_host() {
  tail -n 1 "$1" | awk -v n="$hosts" '{ printf "%.1f", ($1 + $2) * 1000 / n }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# The binary a host receives from ironprep (no --ca here): the lean build when it is there.
sent_agent=$agent
[ -x "$agent-lean" ] && sent_agent=$agent-lean

# ironprep_check NAME ARGS...: `ironprep check` with the fleet's key, known_hosts and agent,
# its JSON report in $dir/NAME.json and its stderr in $dir/NAME.log; a caller's `measure`
# (GNU time and its options) runs it.
measure=()
ironprep_check() {
  local name=$1
  shift
  "${measure[@]}" "$ironprep" check --ssh-key "$dir/client_key" --known-hosts "$dir/known_hosts" \
    --agent "$agent" --timeout 120 --format json --output "$dir/$name.json" "$@" \
    2>"$dir/$name.log" || true
}
# How many hosts of the report in $dir/NAME.json were reported.
reported() { grep -o '"outcome": "reported"' "$dir/$1.json" | wc -l; }

# ironprep_run: one ironprep run over the fleet; sets ironprep_ms.
ironprep_run() {
  local start before cpu_before hosts_before rss
  start=$(date +%s%N)
  before=$(sent)
  cpu_before=$(busy)
  hosts_before=$(hosts_cpu)
  local measure=(/usr/bin/time -f '%U %S %M' -o "$dir/time")
  ironprep_check report -i "$dir/inventory.yaml" --concurrency "$concurrency"
  ironprep_ms=$(elapsed "$start")
  local wire box hosts_side
  wire=$(per_host "$before")
  box=$(box_per_host "$cpu_before")
  hosts_side=$(hosts_per_host "$hosts_before")
  rss=$(tail -n 1 "$dir/time" | awk '{ print $3 }')
  ironprep_controller=$(time_per_host "$dir/time")
  echo "ironprep check     : ${ironprep_ms} ms for $hosts hosts ($(reported report) reported); per host: machine CPU ${box} ms = hosts' side ${hosts_side} + controller ${ironprep_controller} ms; sent ${wire} bytes; controller peak RSS ${rss} KiB"
}

# The same job by hand through OpenSSH: the same binary, gzip-compressed, on every host.
gzip -1 -c "$sent_agent" >"$dir/agent.gz"
cut -d' ' -f2 "$dir/hosts.txt" >"$dir/addresses.txt"
cat >"$dir/hand-job.sh" <<JOB
#!/bin/sh
ssh -q -o BatchMode=yes -o UserKnownHostsFile='$dir/known_hosts' -o StrictHostKeyChecking=yes \\
  -o KexAlgorithms=curve25519-sha256 -i '$dir/client_key' "root@\$1" \\
  'd=\$(mktemp -d) && gzip -dc >\$d/agent && chmod 700 \$d/agent && \$d/agent --format json; rm -rf \$d' \\
  <'$dir/agent.gz' >/dev/null 2>&1
exit 0
JOB
chmod 700 "$dir/hand-job.sh"
# variant NAME SED-ARGS...: the hand job edited by sed, as $dir/NAME-job.sh.
variant() {
  local name=$1
  shift
  sed "$@" "$dir/hand-job.sh" >"$dir/$name-job.sh"
  chmod 700 "$dir/$name-job.sh"
}
filed_run=""
if [ -n "${FILED_AGENT:-}" ]; then
  gzip -1 -c "$FILED_AGENT" >"$dir/filed-agent.gz"
  variant filed -e 's/agent\.gz/filed-agent.gz/'
  filed_run=1
fi
# openssh_jobs JOB: JOB (a script given a host's address) for every host, CONCURRENCY at a
# time, under GNU time; sets job_ms, and per host job_box (the machine's CPU), job_hosts (the
# hosts' side, "N ms") and job_clients (the ssh clients' CPU).
openssh_jobs() {
  local start cpu_before hosts_before
  start=$(date +%s%N)
  cpu_before=$(busy)
  hosts_before=$(hosts_cpu)
  /usr/bin/time -f '%U %S' -o "$dir/time" \
    xargs -P "$concurrency" -n 1 "$1" <"$dir/addresses.txt"
  job_ms=$(elapsed "$start")
  job_box=$(box_per_host "$cpu_before")
  job_hosts=$(hosts_per_host "$hosts_before")
  job_clients=$(time_per_host "$dir/time")
}
# openssh_run: sets openssh_ms and openssh_box.
openssh_run() {
  local before
  before=$(sent)
  openssh_jobs "$dir/hand-job.sh"
  openssh_ms=$job_ms
  openssh_box=$job_box
  echo "OpenSSH same job   : ${job_ms} ms; per host: machine CPU ${job_box} ms = hosts' side ${job_hosts} + ssh clients ${job_clients} ms; sent $(per_host "$before") bytes"
}

# The same agent already on every host (nothing to upload, decompress, create or remove), run
# through OpenSSH: what the hosts' sshd, the agent and the ssh clients cost on their own, below
# which no tool that runs this agent over the hosts' sshd can go on this box.
installed=$dir/installed-agent
cp "$sent_agent" "$installed"
cat >"$dir/installed-job.sh" <<JOB
#!/bin/sh
ssh -q -o BatchMode=yes -o UserKnownHostsFile='$dir/known_hosts' -o StrictHostKeyChecking=yes \\
  -o KexAlgorithms=curve25519-sha256 -i '$dir/client_key' "root@\$1" \\
  '$installed --format json' </dev/null >/dev/null 2>&1
exit 0
JOB
chmod 700 "$dir/installed-job.sh"
# installed_run: sets installed_ms.
installed_run() {
  openssh_jobs "$dir/installed-job.sh"
  installed_ms=$job_ms
  echo "agent preinstalled: ${job_ms} ms; per host: machine CPU ${job_box} ms = hosts' side ${job_hosts} + ssh clients ${job_clients} ms (OpenSSH, no upload)"
}

# The same job with zstd and nothing else: what the hosts spend to receive, decompress, write,
# run and remove the agent when no safeguard runs (no exec probe, no deadlines, no process
# group, no watchdog, no length bound; stdin simply ends).
# The .zst ironprep sends, in $dir/agent.zst: the agent's own, or level 6 made here as ironprep
# makes it (none without either).
zstd_file=$dir/agent.zst
if [ -f "$sent_agent.zst" ]; then
  cp "$sent_agent.zst" "$zstd_file"
elif command -v zstd >/dev/null; then
  zstd -q -6 -c "$sent_agent" >"$zstd_file"
else
  zstd_file=""
fi
bare_run=""
if [ -n "$zstd_file" ] && command -v zstd >/dev/null && ! [[ ",${FAULTS:-}," == *",without=zstd,"* ]]; then
  variant bare -e 's/gzip -dc/zstd -dcq/' -e 's/agent\.gz/agent.zst/'
  bare_run=1
fi
# filed_run_once: sets filed_ms.
filed_run_once() {
  local before
  before=$(sent)
  openssh_jobs "$dir/filed-job.sh"
  filed_ms=$job_ms
  echo "OpenSSH as filed   : ${job_ms} ms; per host: machine CPU ${job_box} ms = hosts' side ${job_hosts} + ssh clients ${job_clients} ms; sent $(per_host "$before") bytes ($(basename "$FILED_AGENT"), $(stat -c %s "$FILED_AGENT") bytes)"
}
# bare_run_once: sets bare_box and bare_clients (ms a host: the machine's CPU, the ssh clients').
bare_run_once() {
  openssh_jobs "$dir/bare-job.sh"
  echo "bare zstd upload   : ${job_ms} ms; per host: machine CPU ${job_box} ms = hosts' side ${job_hosts} + ssh clients ${job_clients} ms (OpenSSH, no safeguards)"
  bare_box=$job_box
  bare_clients=$job_clients
}

zstd_bytes=$( { [ -n "$zstd_file" ] && stat -c %s "$zstd_file"; } || echo '?')
gzip_bytes=$(stat -c %s "$dir/agent.gz")
xz_bytes=$(stat -c %s "$sent_agent.xz" 2>/dev/null || echo '?')
echo "upload per host    : $(basename "$sent_agent") $(stat -c %s "$sent_agent") bytes; zstd ${zstd_bytes} bytes (hosts with zstd), xz ${xz_bytes} bytes (hosts with xz only), gzip -1 ${gzip_bytes} bytes (others)"
pair_ratios=()
installed_ratios=()
floor_ratios=()
filed_ratios=()
for round in $(seq 1 "$rounds"); do
  echo "-- round $round of $rounds"
  ironprep_run
  openssh_run
  installed_run
  pair_ratios+=("$(ratio "$ironprep_ms" "$openssh_ms")")
  installed_ratios+=("$(ratio "$installed_ms" "$openssh_ms")")
  if [ -n "$bare_run" ]; then
    bare_run_once
    # On a saturated box wall time follows machine CPU (ironprep's wall-time ratio and its
    # machine-CPU ratio agree to about 0.01 here): the bare upload's machine CPU with
    # ironprep's controller in place of its ssh clients, over the same job's. The part of it
    # that neither the hosts' cgroup nor a client holds (the kernel's network work among it: 1
    # to 5 ms a host here, about the same for every job in a round) is paid by any tool, so it
    # stays in the floor.
    floor_ratios+=("$(awk -v m="$bare_box" -v s="$bare_clients" -v c="$ironprep_controller" -v b="$openssh_box" 'BEGIN { printf "%.2f", (m - s + c) / b }')")
  fi
  if [ -n "$filed_run" ]; then
    filed_run_once
    filed_ratios+=("$(ratio "$ironprep_ms" "$filed_ms")")
  fi
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
median_ratio=$(median "${pair_ratios[@]}")
installed_ratio=$(median "${installed_ratios[@]}")
floor_ratio=""
[ "${#floor_ratios[@]}" = 0 ] || floor_ratio=$(median "${floor_ratios[@]}")

# One host at a time: the latency a host sees. ironprep's figure includes its start (reading
# and checking the agent files, once a run) spread over the hosts.
latency_hosts=${LATENCY_HOSTS:-20}
[ "$latency_hosts" -le "$hosts" ] || latency_hosts=$hosts
latency_ratio=""
if [ "$latency_hosts" -gt 0 ]; then
  start=$(date +%s%N)
  ironprep_check latency -i "$dir/inventory.yaml" --concurrency 1 \
    --limit "$(head -n "$latency_hosts" "$dir/hosts.txt" | cut -d' ' -f1 | paste -sd,)"
  ironprep_one=$(( $(elapsed "$start") / latency_hosts ))
  start=$(date +%s%N)
  head -n "$latency_hosts" "$dir/addresses.txt" | xargs -P 1 -n 1 "$dir/hand-job.sh"
  openssh_one=$(( $(elapsed "$start") / latency_hosts ))
  latency_ratio=$(ratio "$ironprep_one" "$openssh_one")
  echo "one host at a time : ${latency_hosts} hosts; ironprep ${ironprep_one} ms a host ($(reported latency) reported), OpenSSH same job ${openssh_one} ms a host"
fi

# Before --network: its 30,000 connections leave the hosts busy for a while.
start=$(date +%s%N)
cpu_before=$(busy)
hosts_before=$(hosts_cpu)
xargs -P "$concurrency" -I{} <"$dir/addresses.txt" \
  ssh -q -o BatchMode=yes -o UserKnownHostsFile="$dir/known_hosts" -o StrictHostKeyChecking=yes \
  -i "$dir/client_key" root@{} true
ssh_ms=$(elapsed "$start")
echo "ssh true floor     : ${ssh_ms} ms; per host: machine CPU $(box_per_host "$cpu_before") ms, hosts' side $(hosts_per_host "$hosts_before") (OpenSSH's default key exchange)"

if [ "${NETWORK:-1}" != 0 ]; then
{
  echo "[kube_control_plane]"
  head -n 3 "$dir/hosts.txt" | while read -r name address; do echo "$name ansible_host=$address"; done
  echo "[kube_node]"
  tail -n +4 "$dir/hosts.txt" | while read -r name address; do echo "$name ansible_host=$address"; done
} >"$dir/cluster.ini"
start=$(date +%s%N)
ironprep_check network -i "$dir/cluster.ini" --user root --network --only net.hostname \
  --concurrency "$concurrency"
network_ms=$(elapsed "$start")
echo "ironprep --network : ${network_ms} ms; $(grep -o 'network: .*' "$dir/network.log" || echo 'no network note')"
fi

ansible_ms=""
if [ "${ANSIBLE:-1}" != 0 ] && command -v ansible >/dev/null; then
  start=$(date +%s%N)
  ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_SSH_ARGS="-o UserKnownHostsFile=$dir/known_hosts" \
    ANSIBLE_PYTHON_INTERPRETER=auto_silent ansible -i "$dir/inventory.ini" all \
    --private-key "$dir/client_key" -f "$concurrency" -m script -a "$sent_agent --format json" \
    >"$dir/ansible.log" 2>&1 || true
  ansible_ms=$(elapsed "$start")
  ok=$(grep -c 'CHANGED\|SUCCESS\|FAILED' "$dir/ansible.log" || true)
  echo "ansible -m script  : ${ansible_ms} ms ($ok hosts answered)"
elif [ "${ANSIBLE:-1}" = 0 ]; then
  echo "ansible -m script  : skipped (ANSIBLE=0)"
else
  echo "ansible -m script  : skipped (pip install ansible-core)"
fi

echo "ratio ironprep / OpenSSH same job : median ${median_ratio} of ${pair_ratios[*]}  (target <= 0.70)"
echo "ratio agent preinstalled / same job: median ${installed_ratio} of ${installed_ratios[*]}  (no upload at all, through OpenSSH)"
if [ -n "$floor_ratio" ]; then
  echo "ratio bare upload floor / same job : median ${floor_ratio} of ${floor_ratios[*]}  (machine CPU: the bare zstd upload with ironprep's controller for its ssh clients)"
fi
if [ -n "$filed_run" ]; then
  echo "ratio ironprep / OpenSSH as filed : median $(median "${filed_ratios[@]}") of ${filed_ratios[*]}  (the job by hand with FILED_AGENT)"
fi
if [ -n "$latency_ratio" ]; then
  echo "ratio one host at a time          : ${latency_ratio}  (a host's latency, hosts with their own CPUs)"
fi
echo "ratio ironprep / ssh true floor   : $(ratio "$ironprep_ms" "$ssh_ms")"
if [ -n "$ansible_ms" ]; then
  echo "ansible -m script / ironprep      : $(ratio "$ansible_ms" "$ironprep_ms")  (target >= 8)"
fi
