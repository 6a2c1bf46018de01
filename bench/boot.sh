#!/usr/bin/env bash
# bench/boot.sh — what verifying every firmware costs (issue: "keep the whole verify within 1.5x today's time").
# On one built debian-desktop disk, ROUNDS times, in turns: `labforge verify --firmware uefi-secure-boot,bios`
# (the default: every probe under Secure Boot, the web terminal under BIOS beside it) against the peer, today's
# single boot, `--firmware bios` with every probe; plus `--firmware uefi-secure-boot` alone. Prints each run, the
# median ratio (target <= 1.5), and the time from qemu's start to the kernel's banner and to the login prompt
# under each firmware (plain qemu, the firmware's own share of a boot).
#
# The disk: $BENCH_BOOT_DISK, else debian-desktop built with --no-verify into a cache of its own (cold: minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${LABFORGE_BIN:-.build/release/labforge}
ROUNDS=${ROUNDS:-3}
W=$(mktemp -d "${TMPDIR:-/tmp}/labforge-bench-boot.XXXXXX")
trap 'rm -rf "$W"' EXIT
export LABFORGE_ACCEL=${LABFORGE_ACCEL:-tcg}
DISK=${BENCH_BOOT_DISK:-}
if [ -z "$DISK" ]; then
    CACHE=${BENCH_BOOT_CACHE:-$HOME/.cache/labforge-bench/boot}
    "$BIN" build debian-desktop --no-verify --output "$CACHE/images" --cache-dir "$CACHE" >"$W/build.log" 2>&1 \
        || { tail -20 "$W/build.log" >&2; exit 1; }
    DISK=$(ls "$CACHE"/images/debian-desktop/*/disk.qcow2 | head -1)
fi
echo "boot: labforge $($BIN --version), $(nproc) cores, accel $LABFORGE_ACCEL, disk $DISK ($(stat -c %s "$DISK") B), load $(cut -d' ' -f1-3 /proc/loadavg)"

verify() {  # firmware list → seconds of the whole verify (the report's own figure)
    "$BIN" verify "$DISK" --recipe debian-desktop --firmware "$1" --report "$W/report.json" >"$W/verify.out" 2>&1 \
        || { tail -20 "$W/verify.out" >&2; exit 1; }
    python3 -c 'import json,sys; print("%.1f" % json.load(open(sys.argv[1]))["seconds"])' "$W/report.json"
}

ratios=()
for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then both=$(verify uefi-secure-boot,bios); bios=$(verify bios)
    else bios=$(verify bios); both=$(verify uefi-secure-boot,bios); fi
    secure=$(verify uefi-secure-boot)
    ratio=$(python3 -c "print('%.2f' % ($both / $bios))")
    ratios+=("$ratio")
    printf 'round %d: uefi-secure-boot,bios %6.1f s   bios alone %6.1f s   uefi-secure-boot alone %6.1f s   ratio %s\n' \
        "$round" "$both" "$bios" "$secure" "$ratio"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
printf 'verify, every firmware / one BIOS boot: median %sx over %d rounds (target <= 1.5x)\n' "$median" "$ROUNDS"

# The firmware's own share: plain qemu, the disk through an overlay, times from start to banner and login prompt.
firmware_share() {
    local name=$1; shift
    qemu-img create -q -f qcow2 -b "$DISK" -F qcow2 "$W/overlay.qcow2"
    rm -f "$W/console"
    local start banner="" login=""
    start=$(date +%s.%N)
    qemu-system-x86_64 -accel tcg -m 2048 -smp 2 "$@" -display none -monitor none -nodefaults -serial "file:$W/console" \
        -drive "file=$W/overlay.qcow2,if=none,id=hd,format=qcow2" -device virtio-blk-pci,drive=hd,bootindex=0 -nic none &
    local pid=$!
    for _ in $(seq 1 900); do
        sleep 0.2
        [ -z "$banner" ] && grep -aq "Linux version" "$W/console" 2>/dev/null && banner=$(echo "$(date +%s.%N) - $start" | bc)
        grep -aq "login:" "$W/console" 2>/dev/null && { login=$(echo "$(date +%s.%N) - $start" | bc); break; }
    done
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
    printf '%-17s kernel banner %5.1f s, login prompt %5.1f s\n' "$name" "${banner:-0}" "${login:-0}"
}
cp /usr/share/OVMF/OVMF_VARS_4M.ms.fd "$W/vars.fd"
firmware_share "uefi-secure-boot" -machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on \
    -drive if=pflash,format=raw,unit=0,file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd,readonly=on -drive "if=pflash,format=raw,unit=1,file=$W/vars.fd"
firmware_share "bios" -machine q35
