#!/usr/bin/env bash
# Installs what Pudu needs on a fresh Debian 12 machine: apt packages (when root) and npm deps.
# Idempotent and quiet when everything is present. Cache: $PUDU_CACHE_DIR (default /var/cache/pudu).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  iproute2 iptables util-linux procps psmisc e2fsprogs curl ca-certificates
  openssh-client sshpass dnsutils iputils-ping debootstrap lxcfs fuse3 busybox-static postgresql bsdutils
  libnetfilter-queue-dev gcc
  qemu-system-x86 qemu-utils cpio zstd lz4 kmod
  chromium asciinema poppler-utils
  prometheus skopeo
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "deps: missing apt packages (run as root to install): ${missing[*]}" >&2
  else
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# npm ci rebuilds better-sqlite3 from source (~90 s: its prebuilt download is unreachable);
# keep the built addon in the cache, keyed by version and Node ABI, and reuse it.
CACHE_DIR="${PUDU_CACHE_DIR:-/var/cache/pudu}"
[ -w "$(dirname "$CACHE_DIR")" ] || CACHE_DIR="$HOME/.cache/pudu"
mkdir -p "$CACHE_DIR"
stamp=node_modules/.pudu-deps-stamp
lock_hash=$(sha256sum package-lock.json | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_hash" ]; then
  exit 0
fi
sqlite_ver=$(node -p "require('./package-lock.json').packages['node_modules/better-sqlite3'].version")
addon_key="better-sqlite3-$sqlite_ver-node$(node -p process.versions.modules)"
addon_cache="$CACHE_DIR/addons/$addon_key.node"
if [ -f "$addon_cache" ]; then
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
  npm rebuild esbuild ssh2 --loglevel=error >/dev/null
  mkdir -p node_modules/better-sqlite3/build/Release
  cp "$addon_cache" node_modules/better-sqlite3/build/Release/better_sqlite3.node
else
  echo "deps: npm ci (better-sqlite3 builds from source once, ~90 s; cached after)"
  npm ci --no-audit --no-fund --loglevel=error
  mkdir -p "$CACHE_DIR/addons"
  cp node_modules/better-sqlite3/build/Release/better_sqlite3.node "$addon_cache"
fi
echo "$lock_hash" > "$stamp"
