#!/usr/bin/env bash
# Benchmarks a full `traditional`, `control-plane` agent run on this machine: median wall time
# over many runs (hyperfine) and peak RSS (GNU time). Targets of the agent issue: median
# <= 50 ms, peak RSS <= 10 MB. Uses the portable release agent (scripts/build-agent.sh).
#
#   scripts/bench-agent.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-50}
agent=target/portable/ironprep-agent
[ -x "$agent" ] || scripts/build-agent.sh >/dev/null
for tool in hyperfine:hyperfine time:/usr/bin/time; do
  package=${tool%%:*}; binary=${tool#*:}
  command -v "$binary" >/dev/null || { apt-get install -y -qq "$package" >/dev/null; }
done

args=(--format json --profile traditional --role control-plane)
hyperfine --warmup 3 --runs "$runs" --export-json /tmp/ironprep-bench.json -N \
  "$agent ${args[*]}" >/dev/null || true
median_ms=$(python3 -c 'import json;r=json.load(open("/tmp/ironprep-bench.json"))["results"][0];print(f"{r[\"median\"]*1000:.1f} ms (mean {r[\"mean\"]*1000:.1f} ms, min {r[\"min\"]*1000:.1f}, max {r[\"max\"]*1000:.1f}, {len(r[\"times\"])} runs)")')
peak_kb=0
for _ in 1 2 3 4 5; do
  kb=$(/usr/bin/time -f '%M' "$agent" "${args[@]}" 2>&1 >/dev/null | tail -n 1)
  [ "$kb" -gt "$peak_kb" ] && peak_kb=$kb
done
size=$(stat -c %s "$agent")
echo "agent: $agent ($size bytes)"
echo "full traditional control-plane run: median $median_ms"
echo "peak RSS (max of 5 runs): $((peak_kb / 1024)).$(( (peak_kb % 1024) * 10 / 1024 )) MiB ($peak_kb KiB)"
