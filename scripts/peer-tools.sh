#!/usr/bin/env bash
# Installs the peer tools Debian 12 lacks (oras, cosign, containerd with ctr) from Debian 13's pool, pinned by sha256,
# into .tools/ (no root needed: dpkg-deb -x). Idempotent and quiet when present. See ../shared/DEBIAN13-TOOLS.md.
set -euo pipefail
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS=${LABFORGE_TOOLS:-$ROOT/.tools}

# package  version  pool path  sha256 (trixie main/binary-amd64/Packages.xz, 2026-11-29)  [more programs of the package]
# containerd (and its ctr) is what the multi-arch test pulls linux/arm64 with, as a node would.
PINS=(
  "oras 1.2.0-1+b9 pool/main/o/oras/oras_1.2.0-1+b9_amd64.deb 5f138419f0e4bc128ee4717b06190dc5770cf120ab7e3a991e5b3e9158f3189e"
  "cosign 2.5.0-2+b5 pool/main/c/cosign/cosign_2.5.0-2+b5_amd64.deb 3b6eadd27f3c4c00bfa7eab5c2397a6a15a763630c7a1d40d06ff60d24799eef"
  "containerd 1.7.24~ds1-6+deb13u1 pool/main/c/containerd/containerd_1.7.24~ds1-6+deb13u1_amd64.deb ed708deb96fe476a3bce4efa5c0538dfbcf717ab9a7c7944ba7260342c25899c ctr"
)

mkdir -p "$TOOLS/bin"
for pin in "${PINS[@]}"; do
  read -r name version path sha256 extra <<<"$pin"
  stamp="$TOOLS/$name/.installed"
  programs="$name ${extra:-}"
  present=yes
  for program in $programs; do [ -x "$TOOLS/bin/$program" ] || present=no; done
  if [ "$present" = yes ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version $sha256" ]; then continue; fi
  echo "peer-tools: installing $name $version into $TOOLS"
  deb=$(mktemp "${TMPDIR:-/tmp}/labforge-$name-XXXXXX.deb")
  trap 'rm -f "$deb"' EXIT
  curl -fsSL --retry 3 -o "$deb" "$MIRROR/$path"
  echo "$sha256  $deb" | sha256sum -c --quiet - || { echo "peer-tools: $name: sha256 mismatch for $MIRROR/$path" >&2; exit 1; }
  rm -rf "$TOOLS/$name"
  dpkg-deb -x "$deb" "$TOOLS/$name"
  for program in $programs; do ln -sf "../$name/usr/bin/$program" "$TOOLS/bin/$program"; done
  echo "$version $sha256" >"$stamp"
  rm -f "$deb"
  trap - EXIT
done
