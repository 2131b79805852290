#!/bin/sh
# /init of the IPVS test VM (busybox). Loads the modules, mounts the host's root read-only over
# 9p, mounts the writable results share at the same path it has on the host, chroots into the
# host's root and runs the script named on the kernel command line (keel_run=PATH), storing its
# exit status in RESULTS/rc. Then powers off.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
while read -r m; do
  insmod "/modules/$m" || echo "init: insmod $m failed"
done < /modules/order
run=
results=
for w in $(cat /proc/cmdline); do
  case "$w" in
    keel_run=*) run=${w#keel_run=} ;;
    keel_results=*) results=${w#keel_results=} ;;
  esac
done
R=/mnt/host
opts=trans=virtio,version=9p2000.L,msize=262144
# cache=loose: the host root is read-only here, so caching it is safe, and it spares re-reading
# node and every library over 9p on each exec (the difference between seconds and minutes).
if mount -t 9p -o "$opts,ro,cache=loose" host "$R"; then
  mount -t proc proc "$R/proc"
  mount -t sysfs sys "$R/sys"
  mount -t devtmpfs dev "$R/dev"
  # The guest gets a fresh, writable /tmp; a checkout that lives under the host's /tmp (as a CI
  # clone may) is bound back into it so that it stays reachable.
  mkdir -p /hosttmp
  mount -o bind "$R/tmp" /hosttmp
  mount -t tmpfs tmp "$R/tmp"
  case "$run" in
    /tmp/*)
      rest=${run#/tmp/}
      top=${rest%%/*}
      mkdir -p "$R/tmp/$top"
      mount -o bind "/hosttmp/$top" "$R/tmp/$top"
      ;;
  esac
  mount -t tmpfs run "$R/run"
  mount -t 9p -o "$opts" results "$R$results"
  ip link set lo up
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root chroot "$R" /bin/sh "$run" > "$R$results/stdout" 2> "$R$results/stderr"
  echo "$?" > "$R$results/rc"
  sync
  umount "$R$results"
else
  echo "init: cannot mount the host's root"
fi
poweroff -f
