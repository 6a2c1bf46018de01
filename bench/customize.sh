#!/usr/bin/env bash
# bench/customize.sh — `labforge customize debian-terminal` beside virt-customize doing the same operations
# on the same base in the same run, then the final size of every shipped recipe (allocated, zstd qcow2).
#
# Base: $LABFORGE_BENCH_BASE, else /work/fixtures/debian-13-base.qcow2 (a Debian 13 disk, e.g. from
# `labforge base bootstrap`). BENCH_RECIPES (default: all shipped recipes) selects the size report.
set -euo pipefail
cd "$(dirname "$0")/.."
LABFORGE=${LABFORGE:-.build/release/labforge}
BASE=${LABFORGE_BENCH_BASE:-/work/fixtures/debian-13-base.qcow2}
if [ ! -r "$BASE" ]; then
	echo "bench/customize.sh: no base disk at $BASE (set LABFORGE_BENCH_BASE); skipped"
	exit 0
fi
W=$(mktemp -d "${TMPDIR:-/tmp}/labforge-bench-customize.XXXXXX")
trap 'rm -rf "$W"' EXIT
export LIBGUESTFS_BACKEND=direct
# KVM is present but broken on some hosts and virt-customize has no TCG fallback: force TCG for both
# tools unless BENCH_KVM=1 says KVM works.
[ "${BENCH_KVM:-0}" = 1 ] || export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
now() { date +%s.%N; }
alloc() { echo $(( $(stat -c %b "$1") * $(stat -c %B "$1") )); }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

echo "base: $BASE ($(mib "$(alloc "$BASE")") allocated)"

# 1. labforge (downloads of pinned artifacts are cached; warm the cache outside the timing with `show`… the
#    download is ~380 kB, so a first run costs well under a second more).
t0=$(now)
"$LABFORGE" customize debian-terminal --base "$BASE" --output "$W/labforge.qcow2" --log "$W/labforge.log" >/dev/null
t1=$(now)
lf=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')

# The exact files labforge wrote, taken from its output, so virt-customize writes the same bytes.
for f in /etc/cloud/cloud.cfg.d/90-labforge.cfg /etc/systemd/system/lab-terminal.service \
	/etc/systemd/system/ssh.service.d/10-labforge-hostkeys.conf; do
	virt-cat --format=qcow2 -a "$W/labforge.qcow2" "$f" > "$W/$(basename "$f")"
done
DEB=$(ls "${LABFORGE_CACHE:-$HOME/.cache/labforge}"/artifacts/*/ttyd_*_amd64.deb | head -1)

# 2. virt-customize: same packages, user, files, unit link, sysprep operations; it needs a writable copy.
t0=$(now)
cp --sparse=always "$BASE" "$W/virt-customize.qcow2"
virt-customize --format qcow2 -a "$W/virt-customize.qcow2" --smp 2 --memsize 2048 --network --quiet \
	--mkdir /tmp/labforge-packages \
	--upload "$DEB:/tmp/labforge-packages/$(basename "$DEB")" \
	--install "cloud-init,qemu-guest-agent,/tmp/labforge-packages/$(basename "$DEB")" \
	--upload "$W/90-labforge.cfg:/etc/cloud/cloud.cfg.d/90-labforge.cfg" \
	--run-command 'useradd --create-home --shell /bin/bash --uid 1000 --comment "Lab Student" --groups users student' \
	--delete /etc/systemd/system/multi-user.target.wants/ttyd.service \
	--upload "$W/lab-terminal.service:/etc/systemd/system/lab-terminal.service" \
	--link /etc/systemd/system/lab-terminal.service:/etc/systemd/system/multi-user.target.wants/lab-terminal.service \
	--mkdir /etc/systemd/system/ssh.service.d \
	--upload "$W/10-labforge-hostkeys.conf:/etc/systemd/system/ssh.service.d/10-labforge-hostkeys.conf" \
	--truncate /etc/machine-id \
	--delete '/etc/ssh/ssh_host_*' \
	--run-command 'cloud-init clean --logs --seed' \
	--run-command 'rm -rf /tmp/labforge-packages; apt-get clean; rm -rf /var/lib/apt/lists/*' \
	--run-command 'find /tmp /var/tmp -mindepth 1 -delete; rm -f /root/.bash_history' \
	--delete /var/lib/systemd/random-seed \
	--run-command 'find /var/log -type f -exec truncate -s 0 {} +' 2>"$W/virt-customize.err" >/dev/null
t1=$(now)
vc=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')

printf '\n%-34s %8s %14s\n' "debian-terminal customization" "wall s" "allocated"
printf '%-34s %8s %14s\n' "labforge customize" "$lf" "$(mib "$(alloc "$W/labforge.qcow2")")"
printf '%-34s %8s %14s\n' "virt-customize (cp + customize)" "$vc" "$(mib "$(alloc "$W/virt-customize.qcow2")")"
awk -v a="$lf" -v b="$vc" 'BEGIN { printf "ratio labforge / virt-customize: %.2fx (target <= 1.0x)\n", a / b }'
rm -f "$W/virt-customize.qcow2"

# 3. Final size of each shipped recipe: allocated, and as a zstd-compressed qcow2.
printf '\n%-18s %8s %14s %16s\n' "recipe" "wall s" "allocated" "zstd qcow2"
for r in ${BENCH_RECIPES:-$("$LABFORGE" list --json | python3 -c 'import json,sys; print(" ".join(r["name"] for r in json.load(sys.stdin)))')}; do
	if [ "$r" = debian-terminal ]; then
		out=$W/labforge.qcow2; secs=$lf
	else
		out=$W/$r.qcow2
		t0=$(now)
		"$LABFORGE" customize "$r" --base "$BASE" --output "$out" --log "$W/$r.log" >/dev/null
		t1=$(now); secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	fi
	qemu-img convert -c -O qcow2 -o compression_type=zstd "$out" "$W/$r.zstd.qcow2"
	printf '%-18s %8s %14s %16s\n' "$r" "$secs" "$(mib "$(alloc "$out")")" "$(mib "$(stat -c %s "$W/$r.zstd.qcow2")")"
	rm -f "$W/$r.zstd.qcow2"
	[ "$out" = "$W/labforge.qcow2" ] || rm -f "$out"
done
