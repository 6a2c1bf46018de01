#!/usr/bin/env bash
# make demo: the main job end to end on the built-in default, from the Debian mirror alone:
# bootstrap Debian 13 → customize debian-desktop → finalize → package → push to a local registry →
# manifests → catalog. Re-running reuses the cached base and the customized disk.
set -euo pipefail
cd "$(dirname "$0")/.."
LABFORGE=${LABFORGE:-.build/debug/labforge}
RECIPE=${RECIPE:-debian-desktop}
OUT=${DEMO_OUTPUT:-images}
WORK="$OUT/$RECIPE/demo"
mkdir -p "$WORK"
step() { printf '\n== %s  (%s)\n' "$1" "$(date +%T)"; }

step "1. base: Debian 13 bootstrapped from the Debian mirror (cached after the first run)"
"$LABFORGE" base bootstrap --suite trixie --output "$WORK/base.qcow2"

step "2. customize: recipe $RECIPE in one libguestfs appliance"
if [ -s "$WORK/customized.qcow2" ] && [ "$WORK/customized.qcow2" -nt "$WORK/base.qcow2" ]; then
  echo "   $WORK/customized.qcow2 is up to date (delete it to rebuild)"
else
  "$LABFORGE" customize "$RECIPE" --base "$WORK/base.qcow2" --output "$WORK/customized.qcow2" --log "$WORK/customize.log"
fi

step "3. finalize: dense, compressed qcow2, checked"
qemu-img convert -f qcow2 -O qcow2 -c -o compression_type=zstd "$WORK/customized.qcow2" "$WORK/disk.qcow2.partial"
mv "$WORK/disk.qcow2.partial" "$WORK/disk.qcow2"
qemu-img check -q "$WORK/disk.qcow2"
ls -l "$WORK/disk.qcow2" | awk '{print "   " $5 " bytes  " $9}'

if "$LABFORGE" verify --help >/dev/null 2>&1; then
  step "4. verify: boot it and probe the web terminal, web desktop, SSH and guest agent"
  "$LABFORGE" verify "$WORK/disk.qcow2" --recipe "$RECIPE" || { echo "verification failed"; exit 1; }
fi

step "5. package: KubeVirt containerDisk (OCI layout)"
"$LABFORGE" package "$WORK/disk.qcow2" --output "$WORK/oci" --name "labs/$RECIPE" --tag 1.0.0 \
  --instancetype u1.medium --preference debian --force

step "6. push to a local registry (Debian's docker-registry on 127.0.0.1)"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
REG="$WORK/registry"
mkdir -p "$REG/data"
cat > "$REG/config.yml" <<YML
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $PWD/$REG/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$PORT}
YML
docker-registry serve "$REG/config.yml" > "$REG/registry.log" 2>&1 &
REGISTRY_PID=$!
trap 'kill $REGISTRY_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/v2/')" 2>/dev/null && break; sleep 0.2; done
PINNED=$("$LABFORGE" push "$WORK/oci" "127.0.0.1:$PORT/labs/$RECIPE:1.0.0" --tag latest)
echo "   pushed: $PINNED"
skopeo inspect --tls-verify=false "docker://127.0.0.1:$PORT/labs/$RECIPE:1.0.0" | grep -m1 '"Digest"' | sed 's/^ */   skopeo reads back: /'

step "7. manifests (DataVolume, VirtualMachines, Service, routes, access, kustomization)"
AGENTS=(--agent terminal:7681)
[ "$RECIPE" = debian-desktop ] && AGENTS+=(--agent desktop:6080)
"$LABFORGE" manifests "$WORK/oci" --reference "127.0.0.1:$PORT/labs/$RECIPE:1.0.0" "${AGENTS[@]}" --os debian-13 \
  --output "$OUT/$RECIPE/1.0.0/manifests"

step "8. catalog ($OUT/catalog.json and $OUT/index.html)"
"$LABFORGE" catalog add "$WORK/oci" --reference "127.0.0.1:$PORT/labs/$RECIPE:1.0.0" "${AGENTS[@]}" --os debian-13 \
  --catalog "$OUT/catalog.json"

cat <<EOT

done.
  disk          $WORK/disk.qcow2
  containerDisk $WORK/oci  (pushed as $PINNED; the registry stops with this script)
  manifests     $OUT/$RECIPE/1.0.0/manifests
  catalog       $OUT/catalog.json, $OUT/index.html
next, on a cluster with KubeVirt and CDI (push to a registry the cluster can reach first):
  kubectl apply -k $OUT/$RECIPE/1.0.0/manifests
EOT
