#!/usr/bin/env bash
# Benchmarks a full `traditional`, `control-plane` agent run on this machine: median wall time
# over many runs (hyperfine), CPU per run (user + sys, the programs it runs included) and peak
# RSS (GNU time). Targets: median <= 50 ms, peak RSS <= 10 MB, CPU <= 20 ms. The CPU is also
# measured as on a host already prepared for sshd.usedns-usepam (an sshd_config with both
# keywords `no`, bind-mounted in a private mount namespace when run as root), where the agent
# need not ask `sshd -T`. Uses the portable release agent (scripts/build-agent.sh), or AGENT
# (e.g. AGENT=target/portable/ironprep-agent-lean, what hosts receive when no --ca is given).
#
#   scripts/bench-agent.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
agent=${AGENT:-target/portable/ironprep-agent}
[ -x "$agent" ] || scripts/build-agent.sh >/dev/null
for tool in hyperfine:hyperfine time:/usr/bin/time; do
  package=${tool%%:*}; binary=${tool#*:}
  command -v "$binary" >/dev/null || { apt-get install -y -qq "$package" >/dev/null; }
done

args=(--format json --profile traditional --role control-plane)
hyperfine -i --warmup 3 --runs "$runs" --export-json /tmp/ironprep-bench.json -N \
  "$agent ${args[*]}" >/dev/null || true
median_ms=$(python3 - <<'PY'
import json
r = json.load(open("/tmp/ironprep-bench.json"))["results"][0]
ms = lambda seconds: f"{seconds * 1000:.1f} ms"
print(f"{ms(r['median'])} (mean {ms(r['mean'])}, min {ms(r['min'])}, max {ms(r['max'])}, {len(r['times'])} runs)")
PY
)
# The agent reports its own high-water mark (getrusage SELF) in the JSON; GNU time's figure
# also covers the read-only programs it waits for (sshd -T is the largest), so both are shown.
own_kb=0
with_children_kb=0
for _ in 1 2 3 4 5; do
  kb=$("$agent" "${args[@]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["peak_rss_kib"])') || true
  if [ "$kb" -gt "$own_kb" ]; then own_kb=$kb; fi
  kb=$( { /usr/bin/time -f '%M' "$agent" "${args[@]}" >/dev/null; } 2>&1 | tail -n 1) || true
  if [ "$kb" -gt "$with_children_kb" ]; then with_children_kb=$kb; fi
done
size=$(stat -c %s "$agent")
echo "agent: $agent ($size bytes)"
echo "full traditional control-plane run: median $median_ms"
echo "peak RSS of the agent itself (max of 5 runs): $own_kb KiB"
echo "peak RSS including the queries it runs (GNU time, max of 5): $with_children_kb KiB"

# CPU of RUNS runs, children included, from the rusage of everything this Python waited for.
cpu_per_run() {
  python3 - "$runs" "$@" <<'PY'
import resource, subprocess, sys
runs, command = int(sys.argv[1]), sys.argv[2:]
for _ in range(3):
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
before = resource.getrusage(resource.RUSAGE_CHILDREN)
for _ in range(runs):
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
after = resource.getrusage(resource.RUSAGE_CHILDREN)
user = (after.ru_utime - before.ru_utime) / runs * 1000
system = (after.ru_stime - before.ru_stime) / runs * 1000
print(f"{user + system:.1f} ms (user {user:.1f}, sys {system:.1f}; mean of {runs} runs)")
PY
}
echo "CPU per run, queries included: $(cpu_per_run "$agent" "${args[@]}")"
if [ "$(id -u)" = 0 ] && [ -f /etc/ssh/sshd_config ] && command -v unshare >/dev/null; then
  prepared=$(mktemp)
  trap 'rm -f "$prepared"' EXIT
  printf 'UseDNS no\nUsePAM no\n' >"$prepared"
  grep -v -i -E '^[[:space:]]*(usedns|usepam)' /etc/ssh/sshd_config >>"$prepared"
  export -f cpu_per_run
  export runs agent prepared
  echo "CPU per run on a prepared sshd: $(unshare -m bash -c \
    'mount --bind "$prepared" /etc/ssh/sshd_config && cpu_per_run "$agent" '"${args[*]}")"
fi
