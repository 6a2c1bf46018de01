#!/bin/bash
# Benchmark of `labforge push`: a 1 GiB layer to a local docker-registry, beside `skopeo copy oci:… docker://…`
# of the same layout to a fresh registry, in the same run; then an unchanged re-push (time and blob bytes sent).
set -euo pipefail
LABFORGE=${LABFORGE:-$(cd "$(dirname "$0")/.." && pwd)/.build/release/labforge}
SIZE_MIB=${SIZE_MIB:-1024}
ROUNDS=${ROUNDS:-2}
W=$(mktemp -d "${TMPDIR:-/tmp}/labforge-bench-push.XXXXXX")
stop_registries() { # start_registry runs in $(…): its pids are kept in files
  for f in "$W"/*/pid; do [ -f "$f" ] || continue; kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; done
  sleep 0.2
}
cleanup() { stop_registries; rm -rf "$W"; }
trap cleanup EXIT
now() { date +%s.%N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_registry() { # $1 = name → prints the address
  local dir=$W/$1 port; port=$(free_port); mkdir -p "$dir/data"
  cat > "$dir/config.yml" <<EOC
version: 0.1
log: {level: error}
storage:
  filesystem: {rootdirectory: $dir/data}
  maintenance: {uploadpurging: {enabled: false}}
http: {addr: 127.0.0.1:$port}
EOC
  docker-registry serve "$dir/config.yml" > "$dir/log" 2>&1 &
  echo $! > "$dir/pid"
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done
  echo "127.0.0.1:$port"
}

# --- a layout with one random (incompressible) layer of SIZE_MIB MiB ---
L=$W/layout; mkdir -p "$L/blobs/sha256"
head -c "$((SIZE_MIB << 20))" /dev/urandom > "$W/layer"
LDIG=$(sha256sum "$W/layer" | cut -d' ' -f1); LSIZE=$(stat -c %s "$W/layer"); mv "$W/layer" "$L/blobs/sha256/$LDIG"
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$LDIG" > "$W/config"
CDIG=$(sha256sum "$W/config" | cut -d' ' -f1); CSIZE=$(stat -c %s "$W/config"); mv "$W/config" "$L/blobs/sha256/$CDIG"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
  "$CDIG" "$CSIZE" "$LDIG" "$LSIZE" > "$W/manifest"
MDIG=$(sha256sum "$W/manifest" | cut -d' ' -f1); MSIZE=$(stat -c %s "$W/manifest"); mv "$W/manifest" "$L/blobs/sha256/$MDIG"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"bench"}}]}' \
  "$MDIG" "$MSIZE" > "$L/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' > "$L/oci-layout"
cat "$L/blobs/sha256/$LDIG" > /dev/null   # both tools read from the page cache
echo "layout: 1 layer of $LSIZE bytes, manifest sha256:$MDIG"

best_l=""; best_s=""
for round in $(seq "$ROUNDS"); do
  # Fresh registries each round: skopeo's blob-info cache would otherwise mount the layer instead of sending it.
  stop_registries; rm -rf "$W"/labforge-registry* "$W"/skopeo-registry*
  REG_L=$(start_registry "labforge-registry$round"); REG_S=$(start_registry "skopeo-registry$round")
  t=$(now); skopeo copy -q --dest-tls-verify=false "oci:$L:bench" "docker://$REG_S/bench/skopeo$round:1"; ts=$(echo "$(now) - $t" | bc)
  t=$(now); "$LABFORGE" push "$L" "$REG_L/bench/labforge$round:1" > "$W/out" 2> "$W/err"; tl=$(echo "$(now) - $t" | bc)
  grep -q "sha256:$MDIG" "$W/out" || { echo "labforge push printed: $(cat "$W/out") $(cat "$W/err")"; exit 1; }
  printf 'round %d: labforge push %6.2f s   skopeo copy %6.2f s   ratio %.2f\n' "$round" "$tl" "$ts" "$(echo "$tl / $ts" | bc -l)"
  [ -z "$best_l" ] || [ "$(echo "$tl < $best_l" | bc)" = 1 ] && best_l=$tl
  [ -z "$best_s" ] || [ "$(echo "$ts < $best_s" | bc)" = 1 ] && best_s=$ts
done
got=$(skopeo inspect --raw --tls-verify=false "docker://$REG_L/bench/labforge$ROUNDS:1" | sha256sum | cut -d' ' -f1)
[ "$got" = "$MDIG" ] && echo "skopeo reads back the same manifest digest: sha256:$got" || { echo "DIGEST MISMATCH: $got"; exit 1; }

t=$(now); "$LABFORGE" push --json "$L" "$REG_L/bench/labforge$ROUNDS:1" > "$W/repush.json" 2> "$W/err"; tr=$(echo "$(now) - $t" | bc)
sent=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bytesSent"])' "$W/repush.json")

echo "== push of a $SIZE_MIB MiB layer (best of $ROUNDS)"
printf 'labforge push            %6.2f s  (%.0f MiB/s)\n' "$best_l" "$(echo "$SIZE_MIB / $best_l" | bc -l)"
printf 'skopeo copy              %6.2f s  (%.0f MiB/s)\n' "$best_s" "$(echo "$SIZE_MIB / $best_s" | bc -l)"
printf 'ratio labforge/skopeo    %6.2f   (target <= 1.0)\n' "$(echo "$best_l / $best_s" | bc -l)"
printf 'unchanged re-push        %6.3f s, %s blob bytes sent   (target < 0.5 s, 0 bytes)\n' "$tr" "$sent"
