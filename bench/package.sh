#!/usr/bin/env bash
# Benchmark: `labforge package` of a 2 GiB qcow2 (half incompressible, half real binaries) in each
# compression mode, beside sha256sum (the floor), tar|gzip -6, tar|pigz -6, tar|zstd -T0 and umoci,
# all measured in this run on this machine. Prints MB/s, peak RSS and the target ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
LABFORGE=${LABFORGE:-.build/release/labforge}
[ -x "$LABFORGE" ] || swift build -c release --product labforge >/dev/null
W=$(mktemp -d "${TMPDIR:-/tmp}/labforge-bench-package.XXXXXX")
trap 'rm -rf "$W"' EXIT

echo "making a 2 GiB qcow2 in $W (1 GiB random, 1 GiB of this machine's shared libraries) ..."
dd if=/dev/urandom of="$W/random.raw" bs=1M count=1024 status=none
find /usr/lib /usr/bin -type f -size +100k 2>/dev/null | sort | xargs cat 2>/dev/null | head -c $((1024 * 1024 * 1024)) > "$W/binaries.raw" || true
cat "$W/random.raw" "$W/binaries.raw" > "$W/content.raw"
rm -f "$W/random.raw" "$W/binaries.raw"
qemu-img convert -f raw -O qcow2 "$W/content.raw" "$W/disk.qcow2"
rm -f "$W/content.raw"
DISK="$W/disk.qcow2"
BYTES=$(stat -c %s "$DISK")
mkdir -p "$W/stage/disk" && ln "$DISK" "$W/stage/disk/disk.img"
TAR=(tar -C "$W/stage" --format=posix --sort=name --mtime=@0 --owner=107 --group=107 --numeric-owner --mode=a=rX -cf - disk)

declare -A SECS RSS SIZE
measure() {  # name, output file (or -), command...
  local name=$1 out=$2; shift 2
  cat "$DISK" > /dev/null  # same warm page cache for everyone
  /usr/bin/time -f "%e %M" -o "$W/time" "$@" > /dev/null 2>"$W/err" || { cat "$W/err"; exit 1; }
  read -r SECS[$name] RSS[$name] < "$W/time"
  if [ "$out" != - ]; then SIZE[$name]=$(du -sb "$out" | cut -f1); else SIZE[$name]=""; fi
}

measure sha256sum - sha256sum "$DISK"
for c in none gzip zstd; do
  measure "labforge-$c" "$W/out-$c" "$LABFORGE" package "$DISK" -o "$W/out-$c" --name bench/disk --tag 1 --compression $c
done
measure tar+gzip "$W/t.gz" bash -c "${TAR[*]} | gzip -6 -n > $W/t.gz"
measure tar+pigz "$W/t.pigz" bash -c "${TAR[*]} | pigz -6 -n > $W/t.pigz"
measure tar+zstd "$W/t.zst" bash -c "${TAR[*]} | zstd -q -3 -T0 > $W/t.zst"
"${TAR[@]}" > "$W/layer.tar"
measure umoci "$W/umoci" bash -c "umoci init --layout $W/umoci && umoci new --image $W/umoci:1 && umoci raw add-layer --image $W/umoci:1 $W/layer.tar"
rm -f "$W/layer.tar"

mbps() { awk -v b="$BYTES" -v s="$1" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
echo
printf "%-16s %8s %9s %10s %14s\n" tool seconds "MB/s" "peak RSS" "output bytes"
for n in sha256sum labforge-none labforge-gzip labforge-zstd tar+gzip tar+pigz tar+zstd umoci; do
  printf "%-16s %8s %9s %8s MB %14s\n" "$n" "${SECS[$n]}" "$(mbps "${SECS[$n]}")" "$(( ${RSS[$n]} / 1024 ))" "${SIZE[$n]}"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "targets (input $BYTES bytes, $(nproc) cores):"
echo "  none: throughput vs sha256sum      $(ratio "${SECS[sha256sum]}" "${SECS[labforge-none]}")x   (target >= 0.70)"
echo "  gzip: throughput vs pigz -6        $(ratio "${SECS[tar+pigz]}" "${SECS[labforge-gzip]}")x   (target >= 0.80)"
echo "  gzip: size vs pigz -6              $(ratio "${SIZE[labforge-gzip]}" "${SIZE[tar+pigz]}")x   (target within 1.02)"
echo "  gzip: throughput vs umoci          $(ratio "${SECS[umoci]}" "${SECS[labforge-gzip]}")x   (target > 1)"
echo "  zstd: throughput vs our gzip       $(ratio "${SECS[labforge-gzip]}" "${SECS[labforge-zstd]}")x   (target >= 3)"
echo "  peak RSS: none $(( ${RSS[labforge-none]} / 1024 )) MB, gzip $(( ${RSS[labforge-gzip]} / 1024 )) MB, zstd $(( ${RSS[labforge-zstd]} / 1024 )) MB   (target < 100 MB)"
