#!/usr/bin/env bash
# bench/customize.sh — `labforge customize debian-terminal` beside virt-customize doing the same operations
# on the same base in the same run, then the final size of every shipped recipe (allocated, zstd qcow2).
#
# Base: $LABFORGE_BENCH_BASE (any Debian 13 qcow2; only read), else a copy of labforge's own Debian 13 base
# from `labforge base bootstrap --suite trixie` (built once into labforge's cache — ≈ 5–10 min under TCG the
# first time — then copied from the cache; not part of any timing). BENCH_RECIPES (default: all shipped
# recipes) selects the size report. LABFORGE is the binary (default .build/release/labforge).
set -euo pipefail
case ${LABFORGE:-} in "" | /*) ;; *) LABFORGE=$PWD/$LABFORGE ;; esac  # relative to where it was run
cd "$(dirname "$0")/.."
LABFORGE=${LABFORGE:-$PWD/.build/release/labforge}
for tool in virt-customize guestfish qemu-img python3; do
	command -v "$tool" >/dev/null || { echo "bench/customize.sh: $tool not found (run \`make deps\`)" >&2; exit 1; }
done
[ -x "$LABFORGE" ] || { echo "bench/customize.sh: no labforge binary at $LABFORGE (run \`make release\` or set LABFORGE)" >&2; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/labforge-bench-customize.XXXXXX")
# BENCH_KEEP_LOGS=<dir> keeps the build logs, labforge's --json result and virt-customize's output.
keep_logs() { [ -z "${BENCH_KEEP_LOGS:-}" ] || { mkdir -p "$BENCH_KEEP_LOGS" && cp "$W"/*.log "$W"/*.json "$W"/*.out "$W"/*.err "$BENCH_KEEP_LOGS"/ 2>/dev/null; } || true; }
trap 'keep_logs; rm -rf "$W"' EXIT
export LIBGUESTFS_BACKEND=direct
# KVM is present but broken on some hosts and virt-customize has no TCG fallback: force TCG for both
# tools unless BENCH_KVM=1 says KVM works.
[ "${BENCH_KVM:-0}" = 1 ] || export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
alloc() { echo $(( $(stat -c %b "$1") * $(stat -c %B "$1") )); }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

if [ -n "${LABFORGE_BENCH_BASE:-}" ]; then
	BASE=$LABFORGE_BENCH_BASE
	[ -r "$BASE" ] || { echo "bench/customize.sh: LABFORGE_BENCH_BASE=$BASE is not readable" >&2; exit 1; }
else
	BASE=$W/base.qcow2
	echo "base: labforge base bootstrap --suite trixie (cached after the first run; not timed) ..."
	t0=$(now)
	"$LABFORGE" base bootstrap --suite trixie --output "$BASE" >/dev/null
	echo "base: ready in $(since "$t0") s"
fi
echo "base: $BASE ($(mib "$(alloc "$BASE")") allocated); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# 1. labforge. The pinned ttyd .deb (≈ 380 kB) is cached by labforge after the first run.
t0=$(now)
"$LABFORGE" customize debian-terminal --base "$BASE" --output "$W/labforge.qcow2" --log "$W/labforge.log" --json \
	>"$W/labforge.json" 2>"$W/labforge.err" || { cat "$W/labforge.err" >&2; exit 1; }
lf=$(since "$t0")

# The exact files labforge wrote, taken from its output (one read-only appliance), so virt-customize writes
# the same bytes; and the exact .deb labforge installed (named in its build log).
guestfish --ro --format=qcow2 -a "$W/labforge.qcow2" -i <<EOG
download /etc/cloud/cloud.cfg.d/90-labforge.cfg $W/90-labforge.cfg
download /etc/systemd/system/lab-terminal.service $W/lab-terminal.service
download /etc/systemd/system/ssh.service.d/10-labforge-hostkeys.conf $W/10-labforge-hostkeys.conf
EOG
deb_name=$(grep -o 'using the pinned [^ ]*\.deb' "$W/labforge.log" | head -1 | sed 's/^using the pinned //')
[ -n "$deb_name" ] || { echo "bench/customize.sh: the build log names no pinned ttyd .deb (ttyd from the guest's repositories?)" >&2; exit 1; }
DEB=$(ls "${XDG_CACHE_HOME:-$HOME/.cache}"/labforge/artifacts/*/"$deb_name" | head -1)

# 2. virt-customize: the same packages, user, files, unit links and sysprep script as labforge (see
#    Sources/Customize/GuestBuild+Sysprep.swift); it needs a writable copy of the base.
sysprep=$(cat <<'EOS'
: > /etc/machine-id
if [ -f /var/lib/dbus/machine-id ] && [ ! -L /var/lib/dbus/machine-id ]; then rm -f /var/lib/dbus/machine-id; fi
rm -f /etc/ssh/ssh_host_*
if command -v cloud-init >/dev/null 2>&1; then cloud-init clean --logs --seed; fi
apt-get clean; rm -rf /var/lib/apt/lists/*; rm -f /var/cache/apt/*.bin /var/cache/debconf/*-old
rm -f /root/.bash_history /root/.python_history /root/.lesshst /root/.wget-hsts /home/*/.bash_history /home/*/.python_history /home/*/.lesshst
find /tmp /var/tmp -mindepth 1 -delete
rm -f /var/lib/systemd/random-seed /var/lib/urandom/random-seed /var/lib/systemd/credential.secret
find /var/log -type f \( -name '*.gz' -o -name '*.[0-9]' -o -name '*.old' -o -name '*.journal' -o -name '*.journal~' \) -delete
find /var/log -type f -exec truncate -s 0 {} +
EOS
)
t0=$(now)
cp --sparse=always "$BASE" "$W/virt-customize.qcow2"
virt-customize --format qcow2 -a "$W/virt-customize.qcow2" --smp 2 --memsize 2048 --network \
	--mkdir /tmp/labforge-packages \
	--upload "$DEB:/tmp/labforge-packages/$deb_name" \
	--install "cloud-init,qemu-guest-agent,/tmp/labforge-packages/$deb_name" \
	--run-command 'rm -rf /tmp/labforge-packages' \
	--mkdir /etc/cloud/cloud.cfg.d \
	--upload "$W/90-labforge.cfg:/etc/cloud/cloud.cfg.d/90-labforge.cfg" \
	--chmod 0644:/etc/cloud/cloud.cfg.d/90-labforge.cfg \
	--run-command 'useradd --create-home --shell /bin/bash --uid 1000 --comment "Lab Student" --groups users student' \
	--delete /etc/systemd/system/multi-user.target.wants/ttyd.service \
	--upload "$W/lab-terminal.service:/etc/systemd/system/lab-terminal.service" \
	--chmod 0644:/etc/systemd/system/lab-terminal.service \
	--link /etc/systemd/system/lab-terminal.service:/etc/systemd/system/multi-user.target.wants/lab-terminal.service \
	--mkdir /etc/systemd/system/ssh.service.d \
	--upload "$W/10-labforge-hostkeys.conf:/etc/systemd/system/ssh.service.d/10-labforge-hostkeys.conf" \
	--chmod 0644:/etc/systemd/system/ssh.service.d/10-labforge-hostkeys.conf \
	--run-command "$sysprep" >"$W/virt-customize.out" 2>"$W/virt-customize.err" \
	|| { cat "$W/virt-customize.out" "$W/virt-customize.err" >&2; exit 1; }
vc=$(since "$t0")

printf '\n%-34s %8s %14s\n' "debian-terminal customization" "wall s" "allocated"
printf '%-34s %8s %14s\n' "labforge customize" "$lf" "$(mib "$(alloc "$W/labforge.qcow2")")"
printf '%-34s %8s %14s\n' "virt-customize (cp + customize)" "$vc" "$(mib "$(alloc "$W/virt-customize.qcow2")")"
awk -v a="$lf" -v b="$vc" 'BEGIN { printf "ratio labforge / virt-customize: %.2fx (target <= 1.0x)\n", a / b }'

# Where the time went on each side: labforge's own step timings (--json), virt-customize's progress stamps.
echo
echo "labforge phases (s):"
python3 - "$W/labforge.json" "$lf" <<'EOP'
import json, sys
r = json.load(open(sys.argv[1])); wall = float(sys.argv[2])
steps = sum(s["seconds"] for s in r["steps"])
print(f"  {'appliance launch + inspection':<58} {r['launchSeconds']:7.1f}")
for s in r["steps"]:
    print(f"  {s['number']:>2} {s['title'][:55]:<55} {s['seconds']:7.1f}")
rest = r["totalSeconds"] - r["launchSeconds"] - steps
print(f"  {'prepare, fstrim, shutdown, flatten (qemu-img convert)':<58} {rest:7.1f}")
print(f"  {'process start, artifact check, exit':<58} {wall - r['totalSeconds']:7.1f}")
EOP
echo "virt-customize progress (elapsed s since its start, as it printed them; after the cp):"
grep -E '^\[|warning' "$W/virt-customize.out" | sed -e 's/^/  /' | cut -c1-110
rm -f "$W/virt-customize.qcow2"

# 3. Final size of each shipped recipe: allocated, and as a zstd-compressed qcow2.
printf '\n%-18s %8s %14s %16s\n' "recipe" "wall s" "allocated" "zstd qcow2"
for r in ${BENCH_RECIPES:-$("$LABFORGE" list --json | python3 -c 'import json,sys; print(" ".join(r["name"] for r in json.load(sys.stdin)))')}; do
	if [ "$r" = debian-terminal ]; then
		out=$W/labforge.qcow2; secs=$lf
	else
		out=$W/$r.qcow2
		t0=$(now)
		"$LABFORGE" customize "$r" --base "$BASE" --output "$out" --log "$W/$r.log" >/dev/null 2>"$W/$r.err" \
			|| { echo "$r: labforge customize failed (tail of its log):" >&2; tail -20 "$W/$r.log" >&2; exit 1; }
		secs=$(since "$t0")
	fi
	qemu-img convert -c -O qcow2 -o compression_type=zstd "$out" "$W/$r.zstd.qcow2"
	printf '%-18s %8s %14s %16s\n' "$r" "$secs" "$(mib "$(alloc "$out")")" "$(mib "$(stat -c %s "$W/$r.zstd.qcow2")")"
	rm -f "$W/$r.zstd.qcow2"
	[ "$out" = "$W/labforge.qcow2" ] || rm -f "$out"
done
