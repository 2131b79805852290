#!/bin/bash
# Build (once, cached) the kernel and initramfs of the IPVS test VM.
#
# The host kernel has no ip_vs, so the IPVS tests boot Debian's own kernel under qemu. This
# fetches the kernel package that linux-image-amd64 names, unpacks it, and packs a busybox
# initramfs holding just the modules the tests need (9p to share the host's root, ip_vs and
# every scheduler, veth). Output: $CACHE/vmlinuz, $CACHE/initramfs.gz and $CACHE/kernel.version.
# A second run with everything in place does nothing.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${KEEL_VM_CACHE:-$HERE/.cache}
mkdir -p "$CACHE"
if [ -s "$CACHE/vmlinuz" ] && [ -s "$CACHE/initramfs.gz" ] && [ -s "$CACHE/kernel.version" ] \
   && [ "$CACHE/initramfs.gz" -nt "$HERE/build.sh" ] && [ "$CACHE/initramfs.gz" -nt "$HERE/init.sh" ]; then
  exit 0
fi

for tool in busybox depmod modprobe cpio apt-get dpkg; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing (run test/vm/setup.sh)" >&2; exit 2; }
done
# busybox-static's binary: the initramfs has no libc.
BUSYBOX=/bin/busybox
if ldd "$BUSYBOX" >/dev/null 2>&1; then echo "build.sh: $BUSYBOX is not static (install busybox-static)" >&2; exit 2; fi

# The package linux-image-amd64 depends on, e.g. linux-image-6.1.0-56-amd64.
# Exit 3: the kernel package cannot be had here (the VM tests then skip, saying so).
PKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$PKG" ] || { echo "build.sh: cannot tell which kernel package linux-image-amd64 names (apt-get update?)" >&2; exit 3; }

WORK=$CACHE/work
rm -rf "$WORK"
mkdir -p "$WORK/deb" "$WORK/root"
# apt-get warns that the _apt user cannot write here; the download itself works as root.
( cd "$WORK/deb" && apt-get download "$PKG" >/dev/null 2>"$WORK/apt.err" ) || { cat "$WORK/apt.err" >&2; echo "build.sh: cannot download $PKG" >&2; exit 3; }
dpkg -x "$WORK"/deb/*.deb "$WORK/root"
VER=$(ls "$WORK/root/lib/modules" | head -n1)
[ -n "$VER" ] || { echo "build.sh: no modules in $PKG" >&2; exit 2; }
depmod -b "$WORK/root" "$VER"

# Modules in load order, each after its dependencies. crc32c_generic must come before
# libcrc32c (which ip_vs pulls in through nf_conntrack), or libcrc32c finds no crc32c.
MODS="crc32c_generic virtio_pci 9pnet_virtio 9p veth ip_vs
  ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh ip_vs_sh ip_vs_sed
  ip_vs_nq ip_vs_fo ip_vs_ovf ip_vs_mh ip_vs_twos ip_vs_pe_sip"
IRD=$WORK/initramfs
mkdir -p "$IRD"/{bin,dev,proc,sys,mnt/host,modules}
: > "$IRD/modules/order"
for m in $MODS; do
  deps=$(modprobe -d "$WORK/root" -S "$VER" --show-depends "$m" 2>/dev/null || true)
  [ -n "$deps" ] || { echo "build.sh: module $m not found in $PKG (skipped)" >&2; continue; }
  while read -r kind path _; do
    [ "$kind" = insmod ] || continue
    base=$(basename "$path")
    grep -qx "$base" "$IRD/modules/order" && continue
    case "$base" in
      *.ko.xz) xz -dc "$path" > "$IRD/modules/${base%.xz}"; base=${base%.xz} ;;
      *.ko.zst) zstd -qdc "$path" > "$IRD/modules/${base%.zst}"; base=${base%.zst} ;;
      *) cp "$path" "$IRD/modules/$base" ;;
    esac
    grep -qx "$base" "$IRD/modules/order" || echo "$base" >> "$IRD/modules/order"
  done <<< "$deps"
done

cp "$BUSYBOX" "$IRD/bin/busybox"
for app in sh mount umount mkdir insmod chroot poweroff cat echo sleep ip sync; do ln -sf busybox "$IRD/bin/$app"; done
install -m 0755 "$HERE/init.sh" "$IRD/init"
( cd "$IRD" && find . | cpio -o -H newc --quiet | gzip -1 ) > "$CACHE/initramfs.gz.tmp"
cp "$WORK/root/boot/vmlinuz-$VER" "$CACHE/vmlinuz"
echo "$VER" > "$CACHE/kernel.version"
mv "$CACHE/initramfs.gz.tmp" "$CACHE/initramfs.gz"
echo "build.sh: kernel $VER, $(wc -l < "$IRD/modules/order") modules -> $CACHE" >&2
rm -rf "$WORK"
