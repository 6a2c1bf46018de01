#!/usr/bin/env bash
# make demo-container: debian-desktop as a pod lab. `labforge build --target container` makes the root tree on
# the host (mmdebstrap with the recipe's packages, then its steps), packs it as an OCI image (non-root USER, tini +
# the lab supervisor as entrypoint), runs it in fresh namespaces with test credentials and probes the web terminal
# and desktop (`verify --image`), pushes it to a local registry and writes the Deployment, Service, NetworkPolicy
# and Role. skopeo reads the pushed image back.
set -euo pipefail
cd "$(dirname "$0")/.."
LABFORGE=${LABFORGE:-.build/debug/labforge}
RECIPE=${RECIPE:-debian-desktop}
OUT=${DEMO_OUTPUT:-images}
. scripts/local-registry.sh   # the local registry, stopped when this script exits

printf '== labforge build %s --target container → 127.0.0.1:%s/labs  (%s)\n' "$RECIPE" "$PORT" "$(date +%T)"
"$LABFORGE" build "$RECIPE" --target container --output "$OUT" --push "127.0.0.1:$PORT/labs"
DIR=$(ls -d "$OUT/$RECIPE"/*/container | head -1)
echo
echo "== the registry serves it (read back with skopeo)"
skopeo inspect --tls-verify=false "docker://127.0.0.1:$PORT/labs/$RECIPE-pod:latest" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("   ", d["Name"], d["Digest"], "tags:", ", ".join(d.get("RepoTags", [])))'
skopeo inspect --tls-verify=false --config "docker://127.0.0.1:$PORT/labs/$RECIPE-pod:latest" | python3 -c 'import json,sys; c=json.load(sys.stdin)["config"]; print("    User", c["User"], "Entrypoint", c["Entrypoint"], "ExposedPorts", sorted(c["ExposedPorts"]))'
cat <<EOT

done.
  image       $DIR/oci (verified: $DIR/verification.json)
  manifests   $DIR/manifests (kubectl apply -k $DIR/manifests, after creating the Secret $RECIPE-credentials)
  build log   $DIR/build.log
  catalog     $OUT/catalog.json, page $OUT/index.html
EOT
