#!/usr/bin/env bash
# Builds (once) the minimal Debian root the agent's namespace sandboxes boot with systemd.
# Cached under $PUDU_CACHE_DIR/agent-test-rootfs; a marker file says the build completed,
# so an interrupted debootstrap is rebuilt rather than half-used.
set -euo pipefail
CACHE="${PUDU_CACHE_DIR:-/var/cache/pudu}"
ROOT="$CACHE/agent-test-rootfs"
MARK="$ROOT/.pudu-rootfs-v2"
[ -f "$MARK" ] && { echo "$ROOT"; exit 0; }
# Test files run side by side: one builds, the others wait for it and use its result.
mkdir -p "$CACHE"
exec 9>"$CACHE/agent-test-rootfs.lock"
flock 9
[ -f "$MARK" ] && { echo "$ROOT"; exit 0; }
command -v debootstrap >/dev/null || { echo "prepare-rootfs: debootstrap missing (apt-get install debootstrap)" >&2; exit 1; }
rm -rf "$ROOT.tmp"
debootstrap --variant=minbase \
  --include=systemd,iproute2,iptables,procps,iputils-ping,libnetfilter-queue1,nginx-light,curl,postgresql \
  bookworm "$ROOT.tmp" http://deb.debian.org/debian >&2
# A sandbox has no consoles or udev: mask what would only fail or wait.
for u in systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
  getty@tty1.service console-getty.service systemd-logind.service apt-daily.timer \
  apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer systemd-networkd-wait-online.service \
  systemd-resolved.service systemd-timesyncd.service; do
  ln -sf /dev/null "$ROOT.tmp/etc/systemd/system/$u"
done
rm -rf "$ROOT.tmp/var/cache/apt/archives/"*.deb
# The same lab database as the guest image (few slots, the app's non-superuser role).
REPO="$(cd "$(dirname "$0")/../../.." && pwd)"
(cd "$REPO" && node --import tsx -e 'import("./packages/drivers/src/image/lab-postgres.ts").then((m) => m.setupLabPostgres(process.argv[1]))' "$ROOT.tmp") >&2
touch "$ROOT.tmp/.pudu-rootfs-v2"
rm -rf "$ROOT" && mv "$ROOT.tmp" "$ROOT"
echo "$ROOT"
