#!/usr/bin/env bash
# bench/native.sh — native-speed builds (the recipe's packages installed on the host, in the bootstrapped base)
# against the same binary with LABFORGE_HOST_PACKAGES=0 (those packages installed by customize, in the libguestfs
# appliance; the base's disk is made on the host either way), in one run, each from an empty cache:
#   1. cold bootstrap of the plain base           (target ≤ 50 s)
#   2. cold `debian-terminal` build, verified     (after vs LABFORGE_HOST_PACKAGES=0)
#   3. cold `make demo` (scripts/demo.sh: `debian-desktop` bootstrapped, customized, verified, packed, pushed)
#   4. the near-limit peer: mmdebstrap with the desktop's package set + mke2fs -d + qemu-img convert
# and checks that the two desktop images are equivalent (same packages by their SBOMs, size within 5 %).
# Prints each ratio with its target beside it. Needs root (mmdebstrap --mode=root, as the bootstrap does).
# LABFORGE_BIN picks the binary (default .build/release/labforge); BENCH_NATIVE_KEEP=DIR keeps the outputs.
set -euo pipefail
BIN=${LABFORGE_BIN:-${LABFORGE:-}}
case $BIN in "" | /*) ;; *) BIN=$PWD/$BIN ;; esac
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/.build/release/labforge}
[ -x "$BIN" ] || { echo "bench/native.sh: no labforge binary at $BIN (run \`make release\` or set LABFORGE_BIN)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench/native.sh: needs root (the host path runs mmdebstrap --mode=root)" >&2; exit 1; }
for tool in mmdebstrap mke2fs qemu-img python3 docker-registry skopeo; do
    command -v "$tool" >/dev/null || { echo "bench/native.sh: $tool not found (run \`make deps\`)" >&2; exit 1; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/labforge-bench-native.XXXXXX")
trap '[ -z "${BENCH_NATIVE_KEEP:-}" ] || { mkdir -p "$BENCH_NATIVE_KEEP" && cp -a "$W"/. "$BENCH_NATIVE_KEEP"/; }; rm -rf "$W"' EXIT
export LABFORGE_ACCEL=${LABFORGE_ACCEL:-auto}

now() { date +%s.%N; }
since() { awk "BEGIN { printf \"%.1f\", $(now) - $1 }"; }
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
# Before: the recipe's packages in the appliance (customize), not in the bootstrapped base.
before() { env LABFORGE_HOST_PACKAGES=0 "$@"; }
stages() {  # a build's stage seconds from its summary.json
    python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(", ".join("%s %.0f" % (r["stage"], r["seconds"]) for r in s["stages"] if r["outcome"] != "skipped"), "| verification:", s["verification"]["status"])
' "$1"
}
row() { printf '%-44s %8s s   %s\n' "$1" "$2" "$3"; }

echo "native builds: labforge $("$BIN" --version) ($BIN), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), accel $LABFORGE_ACCEL"

# 1. Plain bootstrap (no recipe packages, so LABFORGE_HOST_PACKAGES does not change it: one run).
t=$(now); "$BIN" base bootstrap --suite trixie --cache-dir "$W/boot-after" >/dev/null 2>"$W/boot-after.err"; boot_after=$(since "$t")
rm -rf "$W/boot-after"

# 2. debian-terminal, verified, from an empty cache.
t=$(now); XDG_CACHE_HOME=$W/xdg-term-after "$BIN" build debian-terminal --output "$W/term-after" >/dev/null 2>"$W/term-after.err"; term_after=$(since "$t")
t=$(now); XDG_CACHE_HOME=$W/xdg-term-before before "$BIN" build debian-terminal --output "$W/term-before" >/dev/null 2>"$W/term-before.err"; term_before=$(since "$t")
rm -rf "$W/xdg-term-after" "$W/xdg-term-before"

# 3. make demo's job (the debug build is what `make demo` runs; here the same binary as the rest).
t=$(now); XDG_CACHE_HOME=$W/xdg-demo-after DEMO_OUTPUT=$W/demo-after LABFORGE=$BIN bash scripts/demo.sh >"$W/demo-after.out" 2>&1; demo_after=$(since "$t")
t=$(now); XDG_CACHE_HOME=$W/xdg-demo-before DEMO_OUTPUT=$W/demo-before LABFORGE=$BIN before bash scripts/demo.sh >"$W/demo-before.out" 2>&1; demo_before=$(since "$t")
summary_after=$(ls "$W"/demo-after/debian-desktop/*/summary.json)
summary_before=$(ls "$W"/demo-before/debian-desktop/*/summary.json)
desk_after=$(python3 -c 'import json,sys; print("%.1f" % json.load(open(sys.argv[1]))["seconds"])' "$summary_after")
desk_before=$(python3 -c 'import json,sys; print("%.1f" % json.load(open(sys.argv[1]))["seconds"])' "$summary_before")

# 4. The near-limit peer: the same package set by hand, no VM at all (one ext4 file system on the whole disk: no
#    partition table, EFI system partition or boot code; no customization).
host_packages=$(grep -o 'install on the host, in the bootstrapped base: .*' "$(dirname "$summary_after")/build.log" | sed 's/.*base: //' | tr ' ' ',')
t=$(now)
mmdebstrap --variant=minbase --mode=root --format=directory --quiet --aptopt='APT::Install-Recommends "false"' \
    --include=linux-image-cloud-amd64,shim-signed,grub-efi-amd64-signed,grub-pc-bin,grub2-common,systemd-sysv,udev,systemd-resolved,dbus,openssh-server,cloud-init,cloud-guest-utils,qemu-guest-agent,iproute2,sudo,less,netbase${host_packages:+,$host_packages} \
    --keyring=/usr/share/keyrings/debian-archive-keyring.gpg trixie "$W/peer-root" \
    "deb http://deb.debian.org/debian trixie main" "deb http://deb.debian.org/debian trixie-updates main" \
    "deb http://deb.debian.org/debian-security trixie-security main" >"$W/peer.out" 2>&1
truncate -s 8G "$W/peer.raw"
mke2fs -q -t ext4 -d "$W/peer-root" -L rootfs "$W/peer.raw"
qemu-img convert -O qcow2 "$W/peer.raw" "$W/peer.qcow2"
peer=$(since "$t")
rm -rf "$W/peer-root" "$W/peer.raw"

# Equivalence of the two desktop images: their SBOMs' package lists, and their sizes.
disk_after=$(dirname "$summary_after")/disk.qcow2
disk_before=$(dirname "$summary_before")/disk.qcow2
"$BIN" diff "$(dirname "$summary_before")/sbom.spdx.json" "$(dirname "$summary_after")/sbom.spdx.json" >"$W/desktop.diff" 2>&1 || true
alloc() { echo $(( $(stat -c %b "$1") * $(stat -c %B "$1") )); }
size_after=$(alloc "$disk_after"); size_before=$(alloc "$disk_before")

echo
printf '%-44s %10s   %s\n' "" "seconds" "detail"
row "cold bootstrap of the plain base" "$boot_after" "$(grep -o 'bootstrap timings: .*' "$W/boot-after.err" | head -1 || true); target ≤ 50 s"
row "cold debian-terminal, verified (after)" "$term_after" "$(stages "$(ls "$W"/term-after/debian-terminal/*/summary.json)")"
row "cold debian-terminal, verified (before)" "$term_before" "after/before = $(ratio "$term_after" "$term_before")"
row "cold debian-desktop build (after)" "$desk_after" "$(stages "$summary_after"); target ≤ 240 s"
row "cold debian-desktop build (before)" "$desk_before" "$(stages "$summary_before"); after/before = $(ratio "$desk_after" "$desk_before")"
row "cold make demo (after)" "$demo_after" "target ≤ 300 s"
row "cold make demo (before)" "$demo_before" "after/before = $(ratio "$demo_after" "$demo_before")"
row "peer: mmdebstrap + mke2fs -d + qemu-img" "$peer" "near-limit for the desktop's base; labforge desktop build/peer = $(ratio "$desk_after" "$peer")"
echo "desktop images: after $((size_after >> 20)) MiB, before $((size_before >> 20)) MiB allocated (after/before = $(ratio "$size_after" "$size_before"); target within 5 %)"
echo "desktop package sets (labforge diff before after):"
sed 's/^/    /' "$W/desktop.diff"
