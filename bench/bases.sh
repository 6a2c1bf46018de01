#!/usr/bin/env bash
# Base images: cold Debian bootstrap vs the prototype's shell pipeline, cached lookup, verified download vs curl.
# Run by `make bench` after `swift build -c release`; LABFORGE_BIN (or LABFORGE) picks another binary.
# The cold bootstraps need root (mmdebstrap --mode=root, for labforge and the peer alike).
# BENCH_BASES_SKIP_COLD=1 skips the two cold bootstraps (≈ 3–8 min each on 2 cores) and seeds the cache from
# $LABFORGE_TEST_CACHE (default ~/.cache/labforge-test) when it holds a base, else bootstraps once.
set -euo pipefail
BIN=${LABFORGE_BIN:-${LABFORGE:-}}
case $BIN in "" | /*) ;; *) BIN=$PWD/$BIN ;; esac  # relative to where it was run
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/.build/release/labforge}
[ -x "$BIN" ] || { echo "bench/bases.sh: no labforge binary at $BIN (run \`make release\` or set LABFORGE_BIN)" >&2; exit 1; }
PATH=$PATH:/usr/sbin:/sbin  # sfdisk and mkfs.vfat live there
for tool in mmdebstrap guestfish sfdisk mkfs.vfat mcopy tar qemu-img curl sha256sum python3; do
    command -v "$tool" >/dev/null || { echo "bench/bases.sh: $tool not found (run \`make deps\`)" >&2; exit 1; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/labforge-bench-bases.XXXXXX")
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$W"
}
keep_logs() { [ -z "${BENCH_KEEP_LOGS:-}" ] || { mkdir -p "$BENCH_KEEP_LOGS" && cp "$W"/*.out "$W"/*.err "$BENCH_KEEP_LOGS"/ 2>/dev/null; } || true; }
trap 'keep_logs; cleanup' EXIT
export LIBGUESTFS_BACKEND=direct
# KVM is present but broken on some hosts; guestfish (the peer's disk step) has no TCG fallback: TCG unless BENCH_KVM=1.
[ "${BENCH_KVM:-0}" = 1 ] || export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }
elapsed() { calc "$(now) - $1"; }
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
ms() { awk "BEGIN { printf \"%.1f\", $1 * 1000 }"; }

echo "bases: labforge $("$BIN" --version) ($BIN), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), work dir $W"

# 1. Cold bootstrap: labforge (the GPT disk made on the host) and the prototype's mmdebstrap + guestfish script
#    making the same disk (same packages, apt options, keyring, hooks, GPT layout, boot chain; see
#    Sources/Bases/DebianBootstrap*.swift, HostDiskLayout.swift, BootFiles.swift).
# BENCH_BASES_PEER_FIRST=1 runs the peer first (the first run may warm the mirror's or a proxy's cache).
# BENCH_KEEP_LOGS=<dir> keeps labforge's progress output (timestamped) and mmdebstrap's output.
cold_labforge() {
    local t
    t=$(now)
    "$BIN" base bootstrap --suite trixie --cache-dir "$W/cache" >"$W/labforge-bootstrap.out" 2>"$W/labforge-bootstrap.err" \
        || { cat "$W/labforge-bootstrap.err" >&2; exit 1; }
    cold=$(elapsed "$t")
    # The bootstrapper logs its own phase timings: mmdebstrap, partitions and file systems, qcow2.
    cold_phases=$(grep -o 'bootstrap timings: .*' "$W/labforge-bootstrap.err" | sed 's/^bootstrap timings: /(/; s/$/)/' || true)
}
# The peer: mmdebstrap into a tarball; on the host the GPT (sfdisk, the same partitions 1, 14, 15) and the EFI
# system partition (mkfs.vfat + mcopy: shim as BOOTX64.EFI, Debian's signed GRUB, MokManager, the grub.cfg stub);
# in one guestfish run ext4 + tar-in, then the guest's own grub-install (i386-pc, into the BIOS boot partition)
# and grub-mkconfig; then qemu-img convert to qcow2.
cold_peer() {
    local t t2 uuid esp
    mkdir -p "$W/staging"
    printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n' > "$W/staging/10-dhcp.network"
    printf 'datasource_list: [ NoCloud, ConfigDrive, None ]\nnetwork:\n  config: disabled\nlocale: false\n' > "$W/staging/90-labforge.cfg"
    printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' > "$W/staging/10-hostkeys.conf"
    printf 'GRUB_TIMEOUT=0\nGRUB_CMDLINE_LINUX_DEFAULT=""\nGRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200n8"\nGRUB_TERMINAL="console serial"\nGRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"\nGRUB_DISABLE_OS_PROBER=true\n' > "$W/staging/50-labforge.cfg"
    cat > "$W/staging/customize.sh" <<EOS
set -eu
root="\$1"
echo debian > "\$root/etc/hostname"
printf '127.0.0.1\\tlocalhost\\n127.0.1.1\\tdebian\\n::1\\tlocalhost ip6-localhost ip6-loopback\\n' > "\$root/etc/hosts"
install -D -m 0644 '$W/staging/10-dhcp.network' "\$root/etc/systemd/network/10-dhcp.network"
install -D -m 0644 '$W/staging/90-labforge.cfg' "\$root/etc/cloud/cloud.cfg.d/90-labforge.cfg"
install -D -m 0644 '$W/staging/10-hostkeys.conf' "\$root/etc/systemd/system/ssh.service.d/10-hostkeys.conf"
install -D -m 0644 '$W/staging/50-labforge.cfg' "\$root/etc/default/grub.d/50-labforge.cfg"
systemctl --root="\$root" enable systemd-networkd.service systemd-resolved.service
rm -f "\$root"/etc/ssh/ssh_host_*
: > "\$root/etc/machine-id"
rm -f "\$root/var/lib/dbus/machine-id" "\$root/var/lib/systemd/random-seed"
EOS
    t=$(now)
    mmdebstrap --variant=minbase --mode=root --format=tar --quiet \
        --aptopt='APT::Install-Recommends "false"' --aptopt='Acquire::Retries "3"' \
        --include=linux-image-cloud-amd64,shim-signed,grub-efi-amd64-signed,grub-pc-bin,grub2-common,systemd-sysv,udev,systemd-resolved,dbus,openssh-server,cloud-init,cloud-guest-utils,qemu-guest-agent,iproute2,sudo,less,netbase \
        --essential-hook='printf "LABEL=rootfs\t/\text4\terrors=remount-ro\t0\t1\n" > "$1/etc/fstab"' \
        --customize-hook="sh '$W/staging/customize.sh' \"\$1\"" \
        --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
        trixie "$W/rootfs.tar" "deb http://deb.debian.org/debian trixie main" \
        "deb http://deb.debian.org/debian trixie-updates main" "deb http://deb.debian.org/debian-security trixie-security main" \
        >"$W/mmdebstrap.out" 2>&1 || { cat "$W/mmdebstrap.out" >&2; exit 1; }
    rootfs=$(elapsed "$t")
    t2=$(now)
    uuid=$(cat /proc/sys/kernel/random/uuid)
    # The GPT: root 1 last on the disk (to the last usable sector), BIOS boot 14 and the EFI system partition 15 before it.
    truncate -s 4G "$W/peer.raw"
    sfdisk --quiet --no-reread --no-tell-kernel "$W/peer.raw" <<EOP
label: gpt
unit: sectors
first-lba: 2048

$W/peer.raw1 : start=262144, size=$((4 * 2097152 - 34 - 262144 + 1)), type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name="root"
$W/peer.raw14 : start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649, name="bios"
$W/peer.raw15 : start=4096, size=258048, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="esp"
EOP
    # The EFI system partition, FAT32 in place: the removable-media path, with the tree's signed boot chain.
    esp=$W/esp
    mkdir -p "$esp/tree" "$esp/EFI/BOOT" "$esp/EFI/debian"
    tar -xf "$W/rootfs.tar" -C "$esp/tree" --wildcards '*usr/lib/shim/shimx64.efi.signed' '*usr/lib/shim/mmx64.efi.signed' \
        '*usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed'
    cp "$esp/tree/usr/lib/shim/shimx64.efi.signed" "$esp/EFI/BOOT/BOOTX64.EFI"
    cp "$esp/tree/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed" "$esp/EFI/BOOT/grubx64.efi"
    cp "$esp/tree/usr/lib/shim/mmx64.efi.signed" "$esp/EFI/BOOT/mmx64.efi"
    printf "search.fs_uuid %s root\nset prefix=(\$root)'/boot/grub'\nconfigfile \$prefix/grub.cfg\n" "$uuid" > "$esp/EFI/debian/grub.cfg"
    mkfs.vfat -F 32 -s 1 -S 512 -n ESP --offset=4096 "$W/peer.raw" 129024 >"$W/mkfs.vfat.out" 2>&1 || { cat "$W/mkfs.vfat.out" >&2; exit 1; }
    MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null mcopy -s -m -i "$W/peer.raw@@$((4096 * 512))" "$esp/EFI" ::/
    # The root and GRUB, in the appliance: grub-install finds the BIOS boot partition by its type.
    guestfish --rw --format=raw -a "$W/peer.raw" <<EOG
set-smp 2
set-memsize 1024
run
mkfs ext4 /dev/sda1 label:rootfs
set-uuid /dev/sda1 $uuid
mount /dev/sda1 /
tar-in $W/rootfs.tar / xattrs:true acls:true
sh "export PATH=/usr/sbin:/usr/bin:/sbin:/bin; grub-install --target=i386-pc /dev/sda && grub-mkconfig -o /boot/grub/grub.cfg"
umount-all
EOG
    qemu-img convert -q -f raw -O qcow2 "$W/peer.raw" "$W/peer.qcow2"
    disk=$(elapsed "$t2")
    peer=$(elapsed "$t")
    rm -rf "$W/peer.raw" "$esp"
}
if [ "${BENCH_BASES_SKIP_COLD:-0}" != 1 ]; then
    if [ "${BENCH_BASES_PEER_FIRST:-0}" = 1 ]; then cold_peer; cold_labforge; order="peer ran first"; else cold_labforge; cold_peer; order="labforge ran first"; fi
    printf 'bootstrap cold (labforge)                 %8.1f s   %s\n' "$cold" "$cold_phases"
    printf 'bootstrap cold (mmdebstrap + guestfish)   %8.1f s   (mmdebstrap %.1f s, disk %.1f s)   labforge/peer = %s (%s)\n' \
        "$peer" "$rootfs" "$disk" "$(ratio "$cold" "$peer")" "$order"
    lf_img=$("$BIN" base bootstrap --suite trixie --cache-dir "$W/cache")
    alloc() { echo $(( $(stat -c %b "$1") * $(stat -c %B "$1") / 1048576 )); }
    printf 'allocated: labforge base %s MiB, peer %s MiB\n' "$(alloc "$lf_img")" "$(alloc "$W/peer.qcow2")"
    rm -f "$W/rootfs.tar" "$W/peer.qcow2"
else
    echo "bootstrap cold: skipped (BENCH_BASES_SKIP_COLD=1); using the shared test cache if present"
    mkdir -p "$W/cache"
    src=${LABFORGE_TEST_CACHE:-$HOME/.cache/labforge-test}
    if [ -d "$src/bases/images" ]; then
        mkdir -p "$W/cache/bases" && cp -a "$src/bases/images" "$W/cache/bases/"
    fi
    "$BIN" base bootstrap --suite trixie --cache-dir "$W/cache" >/dev/null
fi

# 2. Cached lookup (whole CLI process: start, key, stat, print), target < 50 ms; process start measured apart.
t=$(now)
for _ in $(seq 10); do "$BIN" --version >/dev/null; done
startup=$(calc "$(elapsed "$t") / 10")
t=$(now)
for _ in $(seq 10); do path=$("$BIN" base bootstrap --suite trixie --cache-dir "$W/cache"); done
lookup=$(calc "$(elapsed "$t") / 10")
t=$(now)
sha256sum "$path" >/dev/null
rehash=$(elapsed "$t")
printf 'process start (labforge --version)        %8s ms\n' "$(ms "$startup")"
printf 'cached lookup (labforge base bootstrap)   %8s ms (target < 50 ms)\n' "$(ms "$lookup")"
printf 'cached lookup minus process start         %8s ms\n' "$(ms "$(calc "$lookup - $startup")")"
printf 'peer: re-verify cached file (sha256sum)   %8s ms   labforge/peer = %s\n' "$(ms "$rehash")" "$(ratio "$lookup" "$rehash")"

# 3. Verified download of a 512 MiB file from a local server: labforge (stream + hash + cache) vs curl + sha256sum.
mkdir -p "$W/www"
qemu-img create -q -f qcow2 -o preallocation=full "$W/www/big.qcow2" 512M
sum=$(sha256sum "$W/www/big.qcow2" | cut -d' ' -f1)
python3 -u -m http.server --bind 127.0.0.1 --directory "$W/www" 0 >"$W/http.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 50); do port=$(grep -o 'port [0-9]*' "$W/http.log" | cut -d' ' -f2 || true); [ -n "$port" ] && break; sleep 0.1; done
[ -n "$port" ] || { echo "bench/bases.sh: the local http.server did not start" >&2; cat "$W/http.log" >&2; exit 1; }
url="http://127.0.0.1:$port/big.qcow2"
t=$(now)
"$BIN" base fetch "$url" --sha256 "$sum" --cache-dir "$W/dl-cache" >/dev/null
fetch=$(elapsed "$t")
t=$(now)
curl -s -o "$W/curl.qcow2" "$url"
echo "$sum  $W/curl.qcow2" | sha256sum -c --quiet
peer=$(elapsed "$t")
printf 'download 512 MiB verified (labforge)      %8.2f s\n' "$fetch"
printf 'download 512 MiB (curl + sha256sum)       %8.2f s   labforge/peer = %s\n' "$peer" "$(ratio "$fetch" "$peer")"
