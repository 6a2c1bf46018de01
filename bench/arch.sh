#!/usr/bin/env bash
# bench/arch.sh — issue 26's target: a cold arm64 debian-terminal VM build (bootstrap under qemu-user included,
# verify under AAVMF included) within 3x the cold amd64 one, both measured here in the same run.
#
# "Cold" = fresh caches for both: bases, artifacts, step snapshots and finished images all start empty (the Debian
# mirror is the only input), so each side pays its mmdebstrap. BENCH_ARCH_WARM_BASES=1 keeps the normal cache's bases
# (then only customize → verify is compared). Prints each side's stage breakdown and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_scratch arch
echo "arch: labforge $($BIN --version), $(nproc) cores, $(uname -m) host"
BENCH_WARM_BASES=${BENCH_ARCH_WARM_BASES:-0}

run() {  # run ARCH → seconds on stdout, report in $WORK/ARCH.json
    bench_build "$1" debian-terminal --target vm --arch "$1"
}

amd=$(run amd64)
arm=$(run arm64)
python3 - "$WORK/amd64.json" "$WORK/arm64.json" "$amd" "$arm" <<'PY'
import json, sys
stages = ["base", "customize", "finalize", "sbom", "verify", "package", "manifests"]
print("%-8s %8s  " % ("arch", "total s") + " ".join("%10s" % s for s in stages))
for path, total in zip(sys.argv[1:3], sys.argv[3:5]):
    image = json.load(open(path))["images"][0]
    seconds = {r["stage"]: "%.1f" % r["seconds"] for r in image["stages"] if r["outcome"] != "skipped"}
    print("%-8s %8.1f  " % (image.get("architecture", "amd64"), float(total)) + " ".join("%10s" % seconds.get(s, "-") for s in stages))
    if image["verification"]["status"] != "passed":
        sys.exit("%s: verification %s" % (path, image["verification"]["summary"]))
ratio = float(sys.argv[4]) / float(sys.argv[3])
print("arm64 / amd64 cold debian-terminal build (verify included): %.2fx (target: at most 3x)" % ratio)
PY
