#!/usr/bin/env bash
# bench/recipes.sh — what loading a recipes folder costs, beside SwiftPM doing the same job for a Package.swift
# (`swift package dump-package`: compile against PackageDescription, run, read JSON), measured in the same run:
#   first   `labforge list` with an empty cache (two swiftc runs — library + symbol graph, then the generated main —
#           plus building the compiler's module cache for SwiftShims/Glibc/FoundationEssentials, and the run)
#   edited  a recipe file changed since the last load (two swiftc runs, module cache warm): the everyday cost
#   cached  unchanged files (hash them, run the cached program)
# SwiftPM: `--manifest-cache none` (compiles every time) for first/edited, `--manifest-cache local` for cached.
# Median of $BENCH_RECIPES_RUNS (default 5) runs each; wall and CPU seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${LABFORGE_BIN:-.build/release/labforge}
RUNS=${BENCH_RECIPES_RUNS:-5}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/labforge-bench-recipes.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/package/Sources/Lab"
cat > "$WORK/package/Package.swift" <<'SWIFT'
// swift-tools-version:6.0
import PackageDescription
let package = Package(name: "Lab", products: [.library(name: "Lab", targets: ["Lab"])], targets: [.target(name: "Lab")])
SWIFT
echo 'public let lab = 1' > "$WORK/package/Sources/Lab/Lab.swift"
cp -r recipes "$WORK/recipes"
echo "recipes: labforge $($BIN --version), $(swift --version 2>/dev/null | head -1), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), $(ls recipes/*.swift | wc -l) recipe files"

# Prints "wall cpu" seconds of one run of the command.
measure() {
    /usr/bin/time -f '%e %U %S' -o "$WORK/time" "$@" >/dev/null 2>"$WORK/stderr" || { cat "$WORK/stderr" >&2; exit 1; }
    awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$WORK/time"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: > "$WORK/labforge-first"; : > "$WORK/labforge-edited"; : > "$WORK/labforge-cached"; : > "$WORK/spm-first"; : > "$WORK/spm-edited"; : > "$WORK/spm-cached"
for run in $(seq "$RUNS"); do
    rm -rf "$WORK/cache"
    measure "$BIN" list "$WORK/recipes" --cache-dir "$WORK/cache" >> "$WORK/labforge-first"
    echo "// edit $run" >> "$WORK/recipes/PythonLab.swift"
    measure "$BIN" list "$WORK/recipes" --cache-dir "$WORK/cache" >> "$WORK/labforge-edited"
    measure "$BIN" list "$WORK/recipes" --cache-dir "$WORK/cache" >> "$WORK/labforge-cached"
    measure swift package --package-path "$WORK/package" --manifest-cache none dump-package >> "$WORK/spm-first"
    cp "$WORK/spm-first" "$WORK/spm-edited"
    measure swift package --package-path "$WORK/package" --manifest-cache local dump-package >> "$WORK/spm-cached"
done
for kind in first edited cached; do
    lf_wall=$(cut -d' ' -f1 "$WORK/labforge-$kind" | median); lf_cpu=$(cut -d' ' -f2 "$WORK/labforge-$kind" | median)
    spm_wall=$(cut -d' ' -f1 "$WORK/spm-$kind" | median); spm_cpu=$(cut -d' ' -f2 "$WORK/spm-$kind" | median)
    ratio=$(echo "scale=2; $lf_wall / $spm_wall" | bc)
    printf '%-6s labforge list recipes/: %6.2f s wall %6.2f s cpu | swift package dump-package: %6.2f s wall %6.2f s cpu | ratio %sx\n' \
        "$kind" "$lf_wall" "$lf_cpu" "$spm_wall" "$spm_cpu" "$ratio"
done
