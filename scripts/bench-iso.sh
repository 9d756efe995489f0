#!/usr/bin/env bash
# Benchmark of `ironprep iso check`: on a 1 GB SeedImage ISO (built here with xorriso in
# elemental-operator's layout, the 1 GB being the live squashfs), the check without --checksum
# reads only the directory records and the registration config and must take ≤ 100 ms; with
# --checksum it streams the whole image (reported in MB/s). Also read over HTTP with range
# requests from a loopback server. Usage: scripts/bench-iso.sh [ironprep binary] [size in MiB]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-}
mib=${2:-1024}
if [[ -z $bin ]]; then
    cargo build --release -p ironprep --manifest-path "$root/Cargo.toml" >&2
    bin=${CARGO_TARGET_DIR:-$root/target}/release/ironprep
fi
command -v xorriso >/dev/null || { echo "bench-iso: xorriso is missing (scripts/install-deps.sh)" >&2; exit 2; }
work=$(mktemp -d)
server=
cleanup() {
    [[ -n $server ]] && kill "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/tree/LiveOS" "$work/tree/boot"
echo kernel >"$work/tree/boot/kernel"
head -c "$((mib * 1024 * 1024))" /dev/urandom >"$work/tree/LiveOS/squashfs.img"
xorriso -as mkisofs -R -V COS_LIVE -o "$work/base.iso" "$work/tree" 2>/dev/null
rm -rf "$work/tree"
cat >"$work/reg.yaml" <<'YAML'
elemental:
    registration:
        url: https://192.0.2.10:12443/elemental/registration/benchtoken0123456789
        emulate-tpm: true
        emulated-tpm-seed: -1
        auth: tpm
YAML
echo '#cloud-config' >"$work/cloud.yaml"
xorriso -indev "$work/base.iso" -outdev "$work/seed.iso" \
    -map "$work/reg.yaml" /livecd-cloud-config.yaml \
    -map "$work/cloud.yaml" /iso-config/cloud-config.yaml -boot_image any replay 2>/dev/null
rm -f "$work/base.iso"
(cd "$work" && sha256sum seed.iso >seed.iso.sha256)
size=$(stat -c %s "$work/seed.iso")
echo "image: $size bytes ($mib MiB payload)"

ms() { echo $(( $(date +%s%N) / 1000000 )); }
check() { "$bin" iso check "$@" --phase bootstrap --bootstrap-host 192.0.2.10 --offline --format json; }

# Warm the page cache once, then the figure is the median of 11 runs.
check "$work/seed.iso" >/dev/null || true
times=()
for _ in $(seq 11); do
    start=$(ms)
    check "$work/seed.iso" >"$work/out.json" || true
    times+=($(( $(ms) - start )))
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 6p)
read_bytes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["image"]["bytes_read"])' "$work/out.json")
echo "iso check (file, no --checksum): median ${median} ms over 11 runs, ${read_bytes} bytes read"

start=$(ms)
check "$work/seed.iso" --checksum "$work/seed.iso.sha256" >"$work/sum.json" || true
elapsed=$(( $(ms) - start ))
echo "iso check --checksum (file): ${elapsed} ms, $(( size / 1024 / 1024 * 1000 / (elapsed > 0 ? elapsed : 1) )) MiB/s"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 - "$work" "$port" <<'PY' &
import http.server, os, sys, functools
class Ranged(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass
    def send_head(self):
        path = self.translate_path(self.path)
        rng = self.headers.get("Range")
        if not rng or not os.path.isfile(path):
            return super().send_head()
        first, last = (int(x) for x in rng.split("=")[1].split("-"))
        size = os.path.getsize(path)
        last = min(last, size - 1)
        f = open(path, "rb"); f.seek(first)
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.send_header("Content-Length", str(last - first + 1))
        self.end_headers()
        import io
        data = f.read(last - first + 1); f.close()
        return io.BytesIO(data)
handler = functools.partial(Ranged, directory=sys.argv[1])
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), handler).serve_forever()
PY
server=$!
for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$port))" 2>/dev/null && break; sleep 0.1; done
start=$(ms)
check "http://127.0.0.1:$port/seed.iso" >"$work/url.json" || true
elapsed=$(( $(ms) - start ))
read_bytes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["image"]["bytes_read"])' "$work/url.json")
echo "iso check (http://127.0.0.1, range requests): ${elapsed} ms, ${read_bytes} bytes read"
