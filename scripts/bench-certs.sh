#!/usr/bin/env bash
# Benchmark: `ironprep certs dex-tls` (a CA and a serving certificate, two RSA-2048 keys, the
# Secret manifest) against the openssl commands that do the same work (genrsa, req -x509 for
# the CA, genrsa + req + x509 -req for the leaf with the same extensions).
#
# Usage: scripts/bench-certs.sh [path/to/ironprep]   (default: a release build in target/)
# Uses hyperfine when installed (apt-get install -y hyperfine), else a loop with date +%s%N.
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=${1:-}
if [[ -z "$BIN" ]]; then
    cargo build --release -p ironprep >&2
    BIN="${CARGO_TARGET_DIR:-target}/release/ironprep"
fi
BIN=$(realpath "$BIN")
RUNS=${RUNS:-30}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cat > "$WORK/openssl.sh" <<'SH'
#!/usr/bin/env bash
# The same two keys and certificates with openssl, the profile of SPEC §2.
set -euo pipefail
out=$1; ip=192.168.122.10
rm -rf "$out"; mkdir -p "$out"; cd "$out"
openssl genrsa -out ca.key 2048 2>/dev/null
openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=baremetal-bootstrap-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out ca.crt 2>/dev/null
openssl genrsa -out tls.key 2048 2>/dev/null
openssl req -new -key tls.key -subj "/CN=$ip" -out tls.csr 2>/dev/null
printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
    "authorityKeyIdentifier=keyid" \
    "subjectAltName=IP:$ip,IP:127.0.0.1,DNS:global-alb2,DNS:global-alb2.cpaas-system.svc,DNS:global-alb2.cpaas-system.svc.cluster.local" \
    > ext.cnf
openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 3650 \
    -extfile ext.cnf -out tls.crt 2>/dev/null
SH
chmod +x "$WORK/openssl.sh"

IRONPREP_CMD="rm -rf $WORK/i && $BIN certs dex-tls --host-ip 192.168.122.10 --out $WORK/i >/dev/null"
OPENSSL_CMD="$WORK/openssl.sh $WORK/o"

# Both outputs must verify before they are timed.
eval "$IRONPREP_CMD"; "$WORK/openssl.sh" "$WORK/o"
openssl verify -x509_strict -CAfile "$WORK/i/ca.crt" "$WORK/i/tls.crt" >&2
openssl verify -x509_strict -CAfile "$WORK/o/ca.crt" "$WORK/o/tls.crt" >&2

echo "openssl: $(openssl version)" >&2
if command -v hyperfine >/dev/null; then
    hyperfine --warmup 3 --runs "$RUNS" \
        -n "ironprep certs dex-tls" "$IRONPREP_CMD" \
        -n "openssl genrsa/req/x509" "$OPENSSL_CMD"
else
    for name in ironprep openssl; do
        cmd=$IRONPREP_CMD; [[ $name == openssl ]] && cmd=$OPENSSL_CMD
        start=$(date +%s%N)
        for _ in $(seq "$RUNS"); do eval "$cmd"; done
        end=$(date +%s%N)
        echo "$name: $(( (end - start) / RUNS / 1000000 )) ms per run (mean of $RUNS)"
    done
fi
