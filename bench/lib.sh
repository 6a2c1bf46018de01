# bench/lib.sh — what the cold-build benchmarks share (sourced): the binary, a scratch directory removed at exit,
# and one timed `labforge build` with a cache of its own.
#
# BIN      labforge to measure ($LABFORGE_BIN, else the release build)
# WORK     the scratch directory (after bench_scratch)

BIN=${LABFORGE_BIN:-.build/release/labforge}

# bench_scratch NAME — a fresh $WORK, removed when the script exits.
bench_scratch() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/labforge-bench-$1.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
}

# bench_build LABEL BUILD-ARGS… — a cold `labforge build BUILD-ARGS…` into $WORK/images-LABEL with the cache
# $WORK/cache-LABEL (empty: the Debian mirror is the only input; with BENCH_WARM_BASES=1 its bases/ and artifacts/
# are the normal cache's). Prints the wall-clock seconds; the --json report is $WORK/LABEL.json, the log
# $WORK/LABEL.log. A failed build prints the log's tail and exits.
bench_build() {
    local label=$1 cache=$WORK/cache-$1 t0 t1
    shift
    mkdir -p "$cache"
    if [ "${BENCH_WARM_BASES:-0}" = 1 ]; then
        local normal=${XDG_CACHE_HOME:-$HOME/.cache}/labforge
        mkdir -p "$normal/bases" "$normal/artifacts"
        ln -s "$normal/bases" "$cache/bases"
        ln -s "$normal/artifacts" "$cache/artifacts"
    fi
    t0=$(date +%s.%N)
    "$BIN" build "$@" --output "$WORK/images-$label" --cache-dir "$cache" --json > "$WORK/$label.json" 2> "$WORK/$label.log" \
        || { echo "$label build failed:" >&2; tail -20 "$WORK/$label.log" >&2; exit 1; }
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc
}
