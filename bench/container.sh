#!/usr/bin/env bash
# bench/container.sh — pod lab image of debian-desktop (`labforge build --target container`): cold build (root tree,
# steps, layer, layout; no verification), warm no-op, `verify --image`, against the near-limit peer measured in the
# same run: plain mmdebstrap of the same package set into a tarball (what any Debian image builder must at least do).
# Target: a cold image in about a minute on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${LABFORGE_BIN:-.build/release/labforge}
RECIPE=${BENCH_CONTAINER_RECIPE:-debian-desktop}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/labforge-bench-container.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/labforge
mkdir -p "$WORK/cache" "$CACHE/artifacts"
ln -s "$CACHE/artifacts" "$WORK/cache/artifacts"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1764115200}
echo "container: labforge $($BIN --version), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

now() { date +%s.%N; }
t0=$(now)
"$BIN" build "$RECIPE" --target container --no-verify --output "$WORK/images" --cache-dir "$WORK/cache" --json > "$WORK/cold.json"
t1=$(now)
"$BIN" build "$RECIPE" --target container --no-verify --output "$WORK/images" --cache-dir "$WORK/cache" --json > "$WORK/warm.json"
t2=$(now)
LAYOUT=$(ls -d "$WORK/images/$RECIPE"/*/container/oci)
"$BIN" verify --image "$LAYOUT" --json > "$WORK/verify.json" || true
t3=$(now)

# The peer: the same packages (the recipe's first batch, tini, the pinned ttyd .deb) by mmdebstrap alone.
PACKAGES=$(grep -o -- '--include [^ ]*' "$WORK/images/$RECIPE"/*/container/build.log | head -1 | cut -d' ' -f2)
DEB=$(ls "$CACHE"/artifacts/*/ttyd_*.deb 2>/dev/null | head -1 || true)
p0=$(now)
# The pinned .deb goes in through a hook: dpkg runs chrooted and cannot see a host path.
HOOKS=()
if [ -n "$DEB" ]; then
    HOOKS=(--customize-hook="cp '$DEB' \"\$1/tmp/ttyd.deb\"" --customize-hook='chroot "$1" apt-get install -y --no-install-recommends /tmp/ttyd.deb')
fi
mmdebstrap --variant=minbase --mode=root --format=tar --aptopt='APT::Install-Recommends "false"' \
    --include="$PACKAGES" "${HOOKS[@]}" trixie "$WORK/peer.tar" \
    "deb http://deb.debian.org/debian trixie main" "deb http://deb.debian.org/debian trixie-updates main" \
    "deb http://deb.debian.org/debian-security trixie-security main" > "$WORK/peer.log" 2>&1 || { tail -20 "$WORK/peer.log"; exit 1; }
p1=$(now)

python3 - "$WORK" "$t0" "$t1" "$t2" "$t3" "$p0" "$p1" <<'PY'
import json, os, sys
work, t0, t1, t2, t3, p0, p1 = sys.argv[1], *map(float, sys.argv[2:])
cold = next(i for i in json.load(open(f"{work}/cold.json"))["images"] if i.get("kind") == "container")
verify = json.load(open(f"{work}/verify.json"))
stages = {s["stage"]: s["seconds"] for s in cold["stages"]}
peer = p1 - p0
print(f"cold container build   {t1 - t0:6.1f} s  (tree {stages.get('customize', 0):.1f} s, layer+layout {stages.get('package', 0):.1f} s; "
      f"image {cold.get('imageBytes', 0) / 2**20:.0f} MiB gzip, {cold.get('uncompressedBytes', 0) / 2**20:.0f} MiB unpacked)  target ≈ 60 s")
print(f"peer: mmdebstrap alone {peer:6.1f} s  (same packages, tarball)   ratio labforge/peer {(t1 - t0) / peer:.2f}")
print(f"warm no-op             {t2 - t1:6.2f} s  target < 1 s")
print(f"verify --image         {t3 - t2:6.1f} s  passed={verify.get('passed')} " + ", ".join(f"{r['probe']} {r['seconds']:.1f}s" for r in verify.get("results", [])))
PY
