#!/usr/bin/env bash
# make demo: the main job end to end on the built-in default, from the Debian mirror alone. One command does
# it all: `labforge build` bootstraps Debian 13 (cached), customizes the recipe in one libguestfs appliance,
# finalizes the disk, boots it and probes the web terminal, web desktop, SSH, cloud-init and guest agent,
# packs the containerDisk, pushes it to a local registry (Debian's docker-registry on 127.0.0.1), and writes
# the manifests and the catalog. A second run finds nothing changed and returns in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
LABFORGE=${LABFORGE:-.build/debug/labforge}
RECIPE=${RECIPE:-debian-desktop}
OUT=${DEMO_OUTPUT:-images}
. scripts/local-registry.sh   # the local registry, stopped when this script exits

printf '== labforge build %s → 127.0.0.1:%s/labs  (%s)\n' "$RECIPE" "$PORT" "$(date +%T)"
"$LABFORGE" build "$RECIPE" --output "$OUT" --push "127.0.0.1:$PORT/labs"

DIR="$OUT/$RECIPE/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$OUT/$RECIPE"/*/summary.json | head -1)"
DIGEST=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifestDigest"])' "$DIR/summary.json")
echo
echo "== the registry serves it (read back with skopeo)"
skopeo inspect --tls-verify=false "docker://127.0.0.1:$PORT/labs/$RECIPE:latest" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("   ", d["Name"], d["Digest"], "tags:", ", ".join(d.get("RepoTags", [])))'

cat <<EOT

done.
  disk           $DIR/disk.qcow2 (zstd-compressed qcow2, verified: $DIR/verification.json)
  containerDisk  $DIR/oci, pushed as 127.0.0.1:$PORT/labs/$RECIPE@$DIGEST
  manifests      $DIR/manifests
  build log      $DIR/build.log (serial console: $DIR/console.log)
  catalog        $OUT/catalog.json, page $OUT/index.html
The registry stops with this script; its data stays in $REG/data (serve it again with
  docker-registry serve $REG/config.yml).
Next, on a cluster with KubeVirt and CDI (push to a registry the cluster can reach, e.g.
  labforge build $RECIPE --push ghcr.io/<you>/labs), then:
  kubectl apply -k $DIR/manifests
EOT
