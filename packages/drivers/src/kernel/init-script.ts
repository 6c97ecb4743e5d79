/**
 * The initramfs /init (busybox sh). Debian's cloud kernel has virtio, and the
 * `ip=` autoconfiguration (CONFIG_IP_PNP) is off, so this script does what the kernel
 * would: load the modules, bring up the network from `ip=`, find the root disk, apply
 * the per-VM config disk, and switch_root to systemd. Every step logs `pudu-init:` to
 * the console so a failed boot explains itself in the console log.
 */

/** Printed on the console right before switch_root; the boot probe and tests look for it. */
export const INIT_SWITCH_MARKER = 'pudu-init: switching root';

/** Printed when booted with `pudu.probe=1`: the KVM probe's success signal. */
export const INIT_PROBE_MARKER = 'pudu-init: probe ok';

export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /newroot /run
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
log() { echo "pudu-init: $*" > /dev/console; }
fail() { log "FATAL: $*"; sleep 2; echo o > /proc/sysrq-trigger 2>/dev/null; poweroff -f; }
for m in $(cat /etc/pudu-modules); do
  insmod "/lib/modules/$m" 2>/dev/null || log "insmod $m failed"
done
cmd=$(cat /proc/cmdline)
arg() { for w in $cmd; do case "$w" in "$1="*) echo "\${w#*=}"; return;; esac; done; }
if [ "$(arg pudu.probe)" = 1 ]; then
  echo "${INIT_PROBE_MARKER}" > /dev/console
  echo o > /proc/sysrq-trigger 2>/dev/null
  poweroff -f
fi
# Disks: the config disk is a tar archive ("ustar" at byte 257); the root disk is the other one.
cfg=""; root=""
i=0
while [ $i -lt 100 ]; do
  for d in /dev/vd[a-z]; do
    [ -b "$d" ] || continue
    if [ "$(dd if=$d bs=1 skip=257 count=5 2>/dev/null)" = ustar ]; then cfg=$d; elif [ -z "$root" ]; then root=$d; fi
  done
  [ -n "$root" ] && break
  i=$((i+1)); sleep 0.05
done
[ -n "$root" ] || fail "no root disk (/dev/vd*) appeared"
log "root=$root config=\${cfg:-none}"
mount -t ext4 -o rw "$root" /newroot || fail "cannot mount $root as ext4"
if [ -n "$cfg" ]; then
  tar -xf "$cfg" -C /newroot || log "config disk $cfg: tar failed"
fi
# ip=<client>:<server>:<gateway>:<netmask>:<hostname>:<device>:<autoconf>
ipa=$(arg ip)
if [ -n "$ipa" ]; then
  IFS=: read client server gw mask host dev auto <<EOT
$ipa
EOT
  dev=\${dev:-eth0}
  i=0; while [ ! -e /sys/class/net/$dev ] && [ $i -lt 100 ]; do i=$((i+1)); sleep 0.05; done
  ip link set lo up
  ip addr add "$client/$mask" dev "$dev" || log "ip addr add $client/$mask dev $dev failed"
  ip link set "$dev" up
  [ -n "$gw" ] && ip route add default via "$gw" dev "$dev"
  [ -n "$host" ] && echo "$host" > /newroot/etc/hostname
  log "network $dev $client/$mask gw $gw"
fi
log "switching root"
umount /proc /sys
mount --move /dev /newroot/dev 2>/dev/null || umount /dev
exec switch_root /newroot /sbin/init
`;
