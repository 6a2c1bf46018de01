#!/usr/bin/env bash
# make demo: the main job end to end on the built-in default (nothing downloaded but Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."
LABFORGE=${LABFORGE:-.build/release/labforge}
OUT=${DEMO_OUTPUT:-images/demo}
mkdir -p "$OUT"

echo "== 1. a small disk image made locally (qemu-img + qemu-io)"
qemu-img create -q -f qcow2 "$OUT/demo.qcow2" 1G
qemu-io -f qcow2 -c "write -q -P 0x6c 0 16M" "$OUT/demo.qcow2"
qemu-img info "$OUT/demo.qcow2" | sed 's/^/   /'

echo "== 2. labforge package → KubeVirt containerDisk (OCI layout)"
"$LABFORGE" package "$OUT/demo.qcow2" --output "$OUT/oci" --name labs/demo --tag 1.0 --force

echo "== 3. read back by skopeo"
skopeo inspect "oci:$OUT/oci:1.0" | sed 's/^/   /'
echo
echo "done: the containerDisk layout is in $OUT/oci"
