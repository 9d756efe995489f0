#!/usr/bin/env bash
# Benchmark of `ironprep bmc check`: N BMCs (default 50) served on loopback by sushy-static over
# HTTPS, each one of the real captures (Dell R750, HPE DL385, Supermicro; from
# IRONPREP_REDFISH_MOCKUPS or shared/redfish-mockups beside the checkout) or, without them,
# the project's lab-server mockup. Target: 50 BMCs checked in ≤ 5 s. Prints the wall time, the
# controller's CPU (user + system) in total and per BMC, its peak RSS, and the outcomes.
#
#   scripts/bench-bmc.sh [COUNT] [CONCURRENCY]
# Environment: IRONPREP (default target/release/ironprep, built when missing).
#
# The Redfish servers run on the same cores as the controller: the wall time includes their
# work (sushy-static is single-threaded Python and closes every connection, so each request
# costs a TLS handshake on both sides); the controller's CPU is its own.
set -euo pipefail
cd "$(dirname "$0")/.."

count=${1:-50}
concurrency=${2:-32}
ironprep=${IRONPREP:-target/release/ironprep}
if [ ! -x "$ironprep" ]; then
  cargo build --release -p ironprep >&2
fi
command -v sushy-static >/dev/null || {
  echo "bench-bmc: sushy-static is missing (pip install sushy-tools)" >&2
  exit 2
}

captures=${IRONPREP_REDFISH_MOCKUPS:-}
if [ -z "$captures" ]; then
  for dir in "$PWD/.." "$PWD/../.." "$PWD/../../.."; do
    if [ -d "$dir/shared/redfish-mockups/dell-r750" ]; then
      captures=$(cd "$dir/shared/redfish-mockups" && pwd)
      break
    fi
  done
fi
if [ -n "$captures" ]; then
  mockups=("$captures/dell-r750" "$captures/hpe-dl385-gen10plus-v2" "$captures/supermicro-sys-821ge-tnhr")
else
  echo "bench-bmc: no real captures found; every BMC serves tests/fixtures/redfish/lab-server" >&2
  mockups=("$PWD/tests/fixtures/redfish/lab-server")
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
  -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null

mapfile -t ports < <(python3 -c '
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); held.append(s); print(s.getsockname()[1])
' "$count")

: >"$work/hosts.ini"
echo "[kube_control_plane]" >>"$work/hosts.ini"
for i in $(seq 0 $((count - 1))); do
  mockup=${mockups[$((i % ${#mockups[@]}))]}
  sushy-static -i 127.0.0.1 -p "${ports[$i]}" -m "$mockup" \
    -c "$work/tls.crt" -k "$work/tls.key" >/dev/null 2>&1 &
  pids+=($!)
  echo "bmc$i bmc=https://127.0.0.1:${ports[$i]}" >>"$work/hosts.ini"
done
for port in "${ports[@]}"; do
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.05
  done
done

# CPU seconds the Redfish servers have used so far (utime + stime of every server process).
servers_cpu() {
  local ticks=0 pid fields
  for pid in "${pids[@]}"; do
    read -r -a fields <"/proc/$pid/stat" || continue
    ticks=$((ticks + fields[13] + fields[14]))
  done
  echo "$ticks"
}

run() {
  local label=$1
  local start end servers_before servers_after
  servers_before=$(servers_cpu)
  start=$(date +%s%N)
  IRONPREP_BMC_PASSWORD=bench /usr/bin/time -f '%U %S %M' -o "$work/time" \
    "$ironprep" bmc check -i "$work/hosts.ini" --bmc-user root \
    --bmc-known-hosts "$work/bmc_known_hosts" --bmc-host-key-policy accept-new \
    --concurrency "$concurrency" --timeout 60 --format json >"$work/report.json" \
    2>"$work/stderr" || true
  end=$(date +%s%N)
  servers_after=$(servers_cpu)
  read -r user system rss < <(tail -1 "$work/time")
  local wall_ms=$(((end - start) / 1000000))
  local reported
  reported=$(grep -c '"outcome": "reported"' "$work/report.json" || true)
  python3 - "$label" "$count" "$wall_ms" "$user" "$system" "$rss" "$reported" \
    "$((servers_after - servers_before))" "$(getconf CLK_TCK)" <<'EOF'
import sys
label, count, wall, user, system, rss, reported, ticks, hz = sys.argv[1:]
count, wall, cpu = int(count), int(wall), float(user) + float(system)
servers = int(ticks) / int(hz)
print(f"{label}: {count} BMCs, {reported} reported, wall {wall / 1000:.2f} s "
      f"(target ≤ 5 s), controller CPU {cpu:.2f} s = {cpu / count * 1000:.1f} ms per BMC "
      f"(user {float(user):.2f} s, system {float(system):.2f} s), peak RSS {int(rss) / 1024:.1f} MiB; "
      f"the {count} Redfish servers used {servers:.2f} s CPU")
EOF
}

echo "bench-bmc: $count BMCs on loopback (${#mockups[@]} mockup(s)), concurrency $concurrency, $(nproc) cores" >&2
run "first run (pins learned)"
run "second run (pins known)"
