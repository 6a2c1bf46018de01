#!/usr/bin/env bash
# bench/supply.sh — what the supply chain adds to a cold `labforge build` (target: < 5 s and < 2 % of the build):
# the SBOM read (now in the customize appliance, before it closes) + the SBOM referrer + the cosign signature and
# the two attestations (SPDX, SLSA provenance), pushed to a local docker-registry. For comparison, the old way —
# a second, read-only appliance on the finished disk (`labforge sbom DISK`) — is timed on the same disk.
#
# Fresh image and step caches (bases and artifacts shared with the normal cache, as bench/build.sh does), so every
# stage after `base` runs. BENCH_SUPPLY_RECIPE (default debian-terminal), BENCH_SUPPLY_VERIFY=0 to skip the boot.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${LABFORGE_BIN:-.build/release/labforge}
RECIPE=${BENCH_SUPPLY_RECIPE:-debian-terminal}
CACHE=${BENCH_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/labforge}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/labforge-bench-supply.XXXXXX")
REGISTRY_PID=
cleanup() { [ -n "$REGISTRY_PID" ] && kill "$REGISTRY_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/registry.yml" <<YAML
version: 0.1
storage: {filesystem: {rootdirectory: $WORK/registry}}
http: {addr: 127.0.0.1:$PORT}
YAML
/usr/bin/docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
REGISTRY_PID=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.2; done
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/k.pem" 2>/dev/null

mkdir -p "$CACHE/bases" "$CACHE/artifacts" "$WORK/cache"
ln -s "$CACHE/bases" "$WORK/cache/bases"
ln -s "$CACHE/artifacts" "$WORK/cache/artifacts"
verify=(); [ "${BENCH_SUPPLY_VERIFY:-1}" = 0 ] && verify=(--no-verify)
echo "supply: labforge $($BIN --version), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), accelerator ${LABFORGE_ACCEL:-auto}, recipe $RECIPE"
"$BIN" build "$RECIPE" --output "$WORK/images" --cache-dir "$WORK/cache" --push "127.0.0.1:$PORT/labs" \
    --sign-key "$WORK/k.pem" "${verify[@]}" --json >"$WORK/build.json" 2>"$WORK/build.log" || { tail -20 "$WORK/build.log"; exit 1; }

grep -h "sbom: read in the customize appliance:" "$WORK"/images/"$RECIPE"/*/build.log | cut -d" " -f2- || true
DISK=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["images"][0]["disk"])' "$WORK/build.json")
t0=$(date +%s.%N)
"$BIN" sbom "$DISK" --recipe "$RECIPE" --output "$WORK/second-appliance.spdx.json" 2>/dev/null
t1=$(date +%s.%N)

python3 - "$WORK/build.json" "$(echo "$t1 - $t0" | bc)" <<'PY'
import json, sys
image = json.load(open(sys.argv[1]))["images"][0]
second = float(sys.argv[2])
stages = {r["stage"]: r for r in image["stages"]}
sbom, signature = image["sbom"], image["signature"]
read = sbom.get("seconds") or 0.0
referrer = sbom.get("referrerSeconds") or 0.0
signing = signature.get("seconds") or 0.0
added = read + referrer + signing
# The base comes from the shared cache (a bootstrap, when it had to run, is not part of an image build's cost).
total = image["seconds"] - (stages["base"]["seconds"] if "base" in stages else 0)
print("cold build after the base: %.1f s (%s)" % (total, ", ".join("%s %.1f" % (s, stages[s]["seconds"]) for s in
      ["base", "customize", "finalize", "sbom", "verify", "package", "push"] if s in stages)))
print("sbom read:  %.2f s in the customize appliance (%d packages); a second appliance on the same disk: %.1f s (%.0fx)"
      % (read, sbom["packages"], second, second / read if read else float("inf")))
print("referrer:   %.2f s   signature + 2 attestations (spdx, slsa-provenance-v1): %.2f s" % (referrer, signing))
verdict = "OK" if added < 5 and added / total < 0.02 else "MISSED"
print("supply chain adds %.2f s = %.2f %% of the cold build (target < 5 s and < 2 %%): %s" % (added, 100 * added / total, verdict))
PY
