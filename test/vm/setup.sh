#!/bin/sh
# Debian packages the IPVS test VM needs (test/vm/build.sh, test/vm/run.mjs): qemu to boot it,
# a static busybox and kmod to build its initramfs, ipvsadm to read the table back.
# The kernel package itself is fetched by build.sh with `apt-get download`.
set -eu
PKGS="qemu-system-x86 busybox-static kmod cpio ipvsadm"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $missing
