#!/usr/bin/env bash
# Builds (once) the minimal Debian root the agent's namespace sandboxes boot with systemd.
# Cached under $PUDU_CACHE_DIR/agent-test-rootfs; a marker file says the build completed,
# so an interrupted debootstrap is rebuilt rather than half-used. A new machine takes a few
# minutes (debootstrap with postgresql): callers must not put a short timeout on it.
set -euo pipefail
# Services in the rootfs (postgres, www-data) read what we add: never inherit a umask of 077.
umask 022
CACHE="${PUDU_CACHE_DIR:-/var/cache/pudu}"
ROOT="$CACHE/agent-test-rootfs"
MARK="$ROOT/.pudu-rootfs-v2"
LOG="$CACHE/agent-test-rootfs.log"
TAIL_LINES=25
[ -f "$MARK" ] && { echo "$ROOT"; exit 0; }

# debootstrap mounts the host's /proc and /sys inside the root it builds; a build killed half-way
# leaves them mounted, and `rm -rf` of that root would then walk into the host's own trees.
unmount_under() {
  local m
  awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
}
remove_tmp() {
  unmount_under "$ROOT.tmp"
  rm -rf --one-file-system "$ROOT.tmp"
}

# Test files run side by side: one builds, the others wait for it and use its result.
mkdir -p "$CACHE"
exec 9>"$CACHE/agent-test-rootfs.lock"
flock 9
[ -f "$MARK" ] && { echo "$ROOT"; exit 0; }
command -v debootstrap >/dev/null || { echo "prepare-rootfs: debootstrap missing (apt-get install debootstrap)" >&2; exit 1; }
remove_tmp

BUILD_PID=
on_exit() {
  local rc=$?
  if [ -n "$BUILD_PID" ]; then kill "$BUILD_PID" 2>/dev/null || true; wait "$BUILD_PID" 2>/dev/null || true; fi
  [ -f "$MARK" ] || remove_tmp
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 143' TERM INT HUP

fail() {
  echo "prepare-rootfs: $1 failed; last lines of $LOG:" >&2
  tail -n "$TAIL_LINES" "$LOG" | sed 's/^/  /' >&2
  exit 1
}

echo "prepare-rootfs: debootstrap bookworm + systemd, nginx, postgresql into $ROOT (a few minutes on a new machine)" >&2
start=$(date +%s)
# In the background so that a TERM reaches the trap at once instead of after debootstrap ends.
debootstrap --variant=minbase \
  --include=systemd,iproute2,iptables,procps,iputils-ping,libnetfilter-queue1,nginx-light,curl,postgresql \
  bookworm "$ROOT.tmp" http://deb.debian.org/debian >"$LOG" 2>&1 &
BUILD_PID=$!
wait "$BUILD_PID" || { BUILD_PID=; fail debootstrap; }
BUILD_PID=
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
(cd "$REPO" && node --import tsx -e 'import("./packages/drivers/src/image/lab-postgres.ts").then((m) => m.setupLabPostgres(process.argv[1]))' "$ROOT.tmp") >>"$LOG" 2>&1 ||
  fail "the lab database setup"
unmount_under "$ROOT.tmp"
touch "$ROOT.tmp/.pudu-rootfs-v2"
rm -rf --one-file-system "$ROOT" && mv "$ROOT.tmp" "$ROOT"
echo "prepare-rootfs: built in $(($(date +%s) - start)) s" >&2
echo "$ROOT"
