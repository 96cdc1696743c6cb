#!/bin/busybox sh
# The real root's init: the mounts every later process needs, the data disk, and berthd started
# at once, in parallel with the agent (two Node start-ups side by side instead of one after the
# other: the largest share of boot time under emulation). Then tini as PID 1 (it reaps the
# orphans conmon leaves when it double-forks) runs the agent, which adopts berthd by its pid file
# and supervises it from there.
# busybox sh runs mount, mkdir, ln, cmp and the rest as its own applets: no fork+exec of a
# dynamically linked binary for each (each costs a tenth of a second or more under emulation).
set -u
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mkdir -p /dev/pts /dev/shm /sys/fs/cgroup /run/berth /run/berth-agent
mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev shm /dev/shm
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
# Hand every controller to child groups: runc places containers under /berth/<id>.
for controller in $(cat /sys/fs/cgroup/cgroup.controllers); do
  echo "+$controller" > /sys/fs/cgroup/cgroup.subtree_control ||
    echo "berth-init: cgroup controller $controller cannot be delegated" >&2
done
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
hostname berth

# The data disk: blank at first boot (format it), then mounted for berthd's data root. If any of
# this fails the agent tries again and reports why.
data_device=''
for serial in /sys/block/vd*/serial; do
  value=''
  read -r value < "$serial" 2>/dev/null
  if [ "$value" = '@DATA_SERIAL@' ]; then
    disk=${serial%/serial}
    data_device="/dev/${disk##*/}"
  fi
done
if [ -n "$data_device" ]; then
  # Blank means zeros in the first 128 KiB (where every filesystem and partition table keeps its
  # signature): a disk with anything on it is never formatted over. No discard: the disk is new.
  if cmp -s -n 131072 "$data_device" /dev/zero; then
    read -r mkfs_started _ < /proc/uptime
    mkfs.ext4 -q -F -L berth-data -E lazy_itable_init=1,lazy_journal_init=1,nodiscard "$data_device" &&
      touch /run/berth-agent/data-formatted
    read -r mkfs_done _ < /proc/uptime
    export BERTH_MKFS_FROM_S="$mkfs_started" BERTH_MKFS_TO_S="$mkfs_done"
  fi
  mkdir -p '@DATA_ROOT@'
  if mount -t ext4 -o noatime "$data_device" '@DATA_ROOT@'; then
    # berthd's flags: berth.berthd= on the kernel command line, base64 of one flag per line.
    set -f
    encoded=$(sed -n 's/.*berth\.berthd=\([^ ]*\).*/\1/p' /proc/cmdline)
    set --
    if [ -n "$encoded" ]; then
      old_ifs=$IFS
      IFS='
'
      # shellcheck disable=SC2046 # split on newlines only, globbing is off
      set -- $(echo "$encoded" | base64 -d)
      IFS=$old_ifs
    fi
    set +f
    read -r berthd_launched _ < /proc/uptime
    export BERTH_BERTHD_LAUNCH_S="$berthd_launched"
    # Listening (answering /_ping) before networks and iptables are programmed: see daemon.ts.
    BERTHD_LISTEN_BEFORE_INIT=1 NODE_ENV=production /usr/local/bin/node /opt/berth/berthd.mjs "$@" &
    echo $! > /run/berth-agent/berthd.pid
  fi
fi

read -r init_done _ < /proc/uptime
export BERTH_INIT_DONE_S="$init_done"
exec /usr/bin/tini -- /usr/local/bin/node /opt/berth/agent.mjs
