#!/usr/bin/env bash
# Base images: cold Debian bootstrap vs the prototype's shell pipeline, cached lookup, verified download vs curl.
# Run by `make bench` after `swift build -c release`; BENCH_BASES_SKIP_COLD=1 skips the two cold bootstraps
# (≈ 3–8 min each on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${LABFORGE_BIN:-.build/release/labforge}
W=$(mktemp -d "${TMPDIR:-/tmp}/labforge-bench-bases.XXXXXX")
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$W"
}
trap cleanup EXIT
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }
elapsed() { calc "$(now) - $1"; }
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
ms() { awk "BEGIN { printf \"%.1f\", $1 * 1000 }"; }

echo "bases: labforge $($BIN --version), $(nproc) cores, work dir $W"

# 1. Cold bootstrap: labforge vs the prototype's mmdebstrap + guestfish (same packages, same disk layout).
if [ "${BENCH_BASES_SKIP_COLD:-0}" != 1 ]; then
    t=$(now)
    $BIN base bootstrap --cache-dir "$W/cache" >/dev/null
    cold=$(elapsed "$t")
    printf 'bootstrap cold (labforge)                 %8.1f s\n' "$cold"

    t=$(now)
    mmdebstrap --variant=minbase --quiet --aptopt='APT::Install-Recommends "false"' \
        --include=linux-image-cloud-amd64,systemd-sysv,udev,systemd-resolved,dbus,openssh-server,cloud-init,cloud-guest-utils,qemu-guest-agent,iproute2,sudo,less,netbase \
        trixie "$W/rootfs.tar" "deb http://deb.debian.org/debian trixie main" \
        "deb http://deb.debian.org/debian trixie-updates main" "deb http://deb.debian.org/debian-security trixie-security main"
    printf 'DEFAULT debian\nPROMPT 0\nTIMEOUT 0\nLABEL debian\n  LINUX /vmlinuz\n  INITRD /initrd.img\n  APPEND root=LABEL=rootfs ro console=ttyS0\n' > "$W/extlinux.conf"
    qemu-img create -q -f qcow2 "$W/peer.qcow2" 4G
    guestfish --rw --format=qcow2 -a "$W/peer.qcow2" <<EOG
set-smp 2
set-memsize 1024
run
part-init /dev/sda mbr
part-add /dev/sda p 2048 -1
part-set-bootable /dev/sda 1 true
mkfs ext4 /dev/sda1 label:rootfs
mount /dev/sda1 /
tar-in $W/rootfs.tar / xattrs:true acls:true
mkdir-p /boot/extlinux
upload $W/extlinux.conf /boot/extlinux/extlinux.conf
extlinux /boot/extlinux
upload /usr/lib/EXTLINUX/mbr.bin /dev/sda
fstrim /
umount-all
EOG
    peer=$(elapsed "$t")
    printf 'bootstrap cold (mmdebstrap + guestfish)   %8.1f s   labforge/peer = %s\n' "$peer" "$(ratio "$cold" "$peer")"
else
    echo "bootstrap cold: skipped (BENCH_BASES_SKIP_COLD=1); using the shared test cache if present"
    mkdir -p "$W/cache"
    src=${LABFORGE_TEST_CACHE:-$HOME/.cache/labforge-test}
    [ -d "$src/bases" ] && cp -a "$src/bases" "$W/cache/" || $BIN base bootstrap --cache-dir "$W/cache" >/dev/null
fi

# 2. Cached lookup (whole CLI process: start, key, stat, print), target < 50 ms; process start measured apart.
t=$(now)
for _ in $(seq 10); do $BIN --version >/dev/null; done
startup=$(calc "$(elapsed "$t") / 10")
t=$(now)
for _ in $(seq 10); do path=$($BIN base bootstrap --cache-dir "$W/cache"); done
lookup=$(calc "$(elapsed "$t") / 10")
printf 'process start (labforge --version)        %8s ms\n' "$(ms "$startup")"
printf 'cached lookup minus process start         %8s ms\n' "$(ms "$(calc "$lookup - $startup")")"
t=$(now)
sha256sum "$path" >/dev/null
rehash=$(elapsed "$t")
printf 'cached lookup (labforge base bootstrap)   %8s ms (target < 50 ms)\n' "$(ms "$lookup")"
printf 'peer: re-verify cached file (sha256sum)   %8s ms   labforge/peer = %s\n' "$(ms "$rehash")" "$(ratio "$lookup" "$rehash")"

# 3. Verified download of a 512 MiB file from a local server: labforge (stream + hash + cache) vs curl + sha256sum.
mkdir -p "$W/www"
qemu-img create -q -f qcow2 -o preallocation=full "$W/www/big.qcow2" 512M
sum=$(sha256sum "$W/www/big.qcow2" | cut -d' ' -f1)
python3 -u -m http.server --bind 127.0.0.1 --directory "$W/www" 0 >"$W/http.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do port=$(grep -o 'port [0-9]*' "$W/http.log" | cut -d' ' -f2 || true); [ -n "$port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$port/big.qcow2"
t=$(now)
$BIN base fetch "$url" --sha256 "$sum" --cache-dir "$W/dl-cache" >/dev/null
fetch=$(elapsed "$t")
t=$(now)
curl -s -o "$W/curl.qcow2" "$url"
echo "$sum  $W/curl.qcow2" | sha256sum -c --quiet
peer=$(elapsed "$t")
printf 'download 512 MiB verified (labforge)      %8.2f s\n' "$fetch"
printf 'download 512 MiB (curl + sha256sum)       %8.2f s   labforge/peer = %s\n' "$peer" "$(ratio "$fetch" "$peer")"
