#!/usr/bin/env bash
# bench/build.sh — `labforge build` of every shipped recipe: each image's stage breakdown (a cold build when
# nothing is cached yet, BENCH_BUILD_COLD=1 forces one with fresh step/image caches), then the no-op rebuild
# of all recipes, timed five times (target: < 1 s).
#
# Outputs go to $BENCH_BUILD_OUTPUT (default ~/.cache/labforge-bench/images), so a second bench run measures
# the no-op at once. Bases and artifacts come from the normal cache (a first run bootstraps Debian 13).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${LABFORGE_BIN:-.build/release/labforge}
OUT=${BENCH_BUILD_OUTPUT:-$HOME/.cache/labforge-bench/images}
CACHE=${BENCH_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/labforge}
mkdir -p "$OUT"
if [ "${BENCH_BUILD_COLD:-0}" = 1 ]; then
    # Fresh finished-image and step caches, same bases and artifacts: every stage after `base` runs.
    COLD=$(mktemp -d "${TMPDIR:-/tmp}/labforge-bench-build.XXXXXX")
    trap 'rm -rf "$COLD"' EXIT
    mkdir -p "$CACHE/bases" "$CACHE/artifacts"
    ln -s "$CACHE/bases" "$COLD/bases"
    ln -s "$CACHE/artifacts" "$COLD/artifacts"
    CACHE=$COLD
    rm -rf "$OUT"
    mkdir -p "$OUT"
fi
echo "build: labforge $($BIN --version), $(nproc) cores, output $OUT, cache $CACHE"

report() {
    python3 -c '
import json, sys
report = json.load(open(sys.argv[1]))
stages = ["base", "customize", "finalize", "verify", "package", "push", "manifests"]
print("%-18s %-10s %8s  " % ("image", "status", "total s") + " ".join("%10s" % s for s in stages))
for image in report["images"]:
    seconds = {r["stage"]: ("%.1f%s" % (r["seconds"], "=" if r["outcome"] == "cached" else "")) if r["outcome"] != "skipped" else "-" for r in image["stages"]}
    print("%-18s %-10s %8.1f  " % (image["name"], image["status"], image["seconds"]) + " ".join("%10s" % seconds.get(s, "") for s in stages))
    if image.get("error"): print("   error:", image["error"]["message"].splitlines()[0])
print("(= cached)")
' "$1"
}

# 1. Build everything (cold when nothing is cached; otherwise whatever changed).
t0=$(date +%s.%N)
"$BIN" build --output "$OUT" --cache-dir "$CACHE" --json > "$OUT/bench-first.json" 2> "$OUT/bench-first.log" || true
t1=$(date +%s.%N)
printf '\nfirst build of all recipes: %.1f s\n' "$(echo "$t1 - $t0" | bc)"
report "$OUT/bench-first.json"

# 2. The no-op rebuild, five times.
times=()
for i in 1 2 3 4 5; do
    t0=$(date +%s.%N)
    "$BIN" build --output "$OUT" --cache-dir "$CACHE" --json > "$OUT/bench-noop.json" 2>/dev/null
    t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc)")
done
python3 - "$OUT/bench-noop.json" "${times[@]}" <<'PY'
import json, sys, statistics
report = json.load(open(sys.argv[1]))
times = sorted(float(t) for t in sys.argv[2:])
statuses = {i["name"]: i["status"] for i in report["images"]}
median = statistics.median(times)
print(f"\nno-op rebuild of {len(statuses)} recipes ({', '.join(f'{k} {v}' for k, v in statuses.items())})")
print(f"  runs: {', '.join(f'{t:.3f}' for t in times)} s; median {median:.3f} s")
print(f"  ratio to the 1 s target: {median / 1.0:.2f}x (target < 1.0x)")
if any(s != "unchanged" for s in statuses.values()):
    print("  NOTE: not every image was unchanged (a failed image is rebuilt on every run)")
PY
