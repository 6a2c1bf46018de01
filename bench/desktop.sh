#!/usr/bin/env bash
# bench/desktop.sh — issue 27's budgets for the Xfce debian-desktop: a cold build with verify within 8 min on this
# 2-core TCG machine, and at most 1 GiB pulled (the containerDisk's compressed layers), measured here; the lean
# debian-terminal in the same run for scale.
#
# "Cold" = a fresh cache (bases, artifacts, step snapshots, finished images): the Debian mirror is the only input.
# Prints each build's stage breakdown, the pulled size and the ratios against the budgets. BENCH_DESKTOP_ONLY=1 skips
# the debian-terminal build (the budgets alone).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_scratch desktop
echo "desktop: labforge $($BIN --version), $(nproc) cores, accel ${LABFORGE_ACCEL:-auto}"

run() {  # run RECIPE → seconds on stdout, report in $WORK/RECIPE.json
    bench_build "$1" "$1" --target vm
}

if [ "${BENCH_DESKTOP_ONLY:-0}" = 1 ]; then terminal=0; else terminal=$(run debian-terminal); fi
desktop=$(run debian-desktop)
python3 - "$WORK/debian-terminal.json" "$WORK/debian-desktop.json" "$terminal" "$desktop" <<'PY'
import json, os, sys
stages = ["base", "customize", "finalize", "sbom", "verify", "package", "manifests"]

def pulled(layout):
    """Bytes a node pulls: the manifest's config and layers (compressed), as the registry serves them."""
    index = json.load(open(os.path.join(layout, "index.json")))
    total = 0
    for entry in index["manifests"]:
        digest = entry["digest"].split(":", 1)[1]
        manifest = json.load(open(os.path.join(layout, "blobs", "sha256", digest)))
        total += manifest["config"]["size"] + sum(layer["size"] for layer in manifest["layers"])
        break
    return total

print("%-16s %8s %10s  " % ("recipe", "total s", "pulled MiB") + " ".join("%10s" % s for s in stages))
sizes = {}
for path, total in zip(sys.argv[1:3], sys.argv[3:5]):
    if not os.path.exists(path):
        continue
    image = json.load(open(path))["images"][0]
    if image["verification"]["status"] != "passed":
        sys.exit("%s: verification %s" % (path, image["verification"]["summary"]))
    seconds = {r["stage"]: "%.1f" % r["seconds"] for r in image["stages"] if r["outcome"] != "skipped"}
    size = pulled(image["layout"])
    sizes[image["name"]] = size
    print("%-16s %8.1f %10.1f  " % (image["name"], float(total), size / 2**20) + " ".join("%10s" % seconds.get(s, "-") for s in stages))
desktop_seconds = float(sys.argv[4])
print("debian-desktop cold build, verify included: %.1f s = %.2fx the 480 s budget" % (desktop_seconds, desktop_seconds / 480))
print("debian-desktop pulled: %.1f MiB = %.2fx the 1 GiB budget" % (sizes["debian-desktop"] / 2**20, sizes["debian-desktop"] / 2**30))
if "debian-terminal" in sizes:
    print("debian-desktop / debian-terminal: %.2fx the time, %.2fx the bytes" % (desktop_seconds / float(sys.argv[3]), sizes["debian-desktop"] / sizes["debian-terminal"]))
PY
