#!/bin/busybox sh
# Stage 1 (initramfs /init): load the virtio drivers, find the root disk by its serial, stack a
# tmpfs over the read-only root with overlayfs (so the image is never written and mount points
# for shared folders can be created anywhere), and switch to it. busybox only; no udev.
set -u
# Filled in by the image build from protocol.ts.
ROOT_SERIAL='@ROOT_SERIAL@'
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /lower /upper /newroot
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# The initramfs has no /dev/console node, so the kernel started us without stdio.
exec < /dev/console > /dev/console 2>&1
read -r stage1_start _ < /proc/uptime

fail() {
  echo "berth stage1: $*" > /dev/console
  echo o > /proc/sysrq-trigger
  sleep 5
  exit 1
}

# Dependencies first: the order was computed from modules.dep when the image was built.
while read -r module; do
  insmod "/modules/$module" || fail "insmod $module failed"
done < /modules.order

root_device=''
tries=0
while [ -z "$root_device" ]; do
  for serial in /sys/block/vd*/serial; do
    [ -e "$serial" ] || continue
    if [ "$(cat "$serial")" = "$ROOT_SERIAL" ]; then
      root_device="/dev/$(basename "$(dirname "$serial")")"
    fi
  done
  [ -n "$root_device" ] && break
  tries=$((tries + 1))
  [ "$tries" -gt 500 ] && fail "no virtio disk with serial $ROOT_SERIAL"
  usleep 10000
done

mount -t ext4 -o ro,noatime "$root_device" /lower || fail "cannot mount $root_device"
mount -t tmpfs -o mode=0755,size=50% tmpfs /upper || fail 'cannot mount the tmpfs upper layer'
mkdir -p /upper/data /upper/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work /newroot ||
  fail 'cannot mount the overlay root'

read -r switch_root_at _ < /proc/uptime
export BERTH_STAGE1_START_S="$stage1_start" BERTH_SWITCH_ROOT_S="$switch_root_at"
mount --move /dev /newroot/dev
mount --move /sys /newroot/sys
mount --move /proc /newroot/proc
exec switch_root /newroot /sbin/berth-init
