/**
 * What goes into the guest image. Everything here is hashed into the cache key, so a
 * change to a package list or a config file rebuilds exactly what it affects.
 */
import { createHash } from 'node:crypto';

export const DEBIAN_SUITE = 'bookworm';
export const DEBIAN_MIRROR = process.env.PUDU_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';

/** The port the in-guest agent listens on (the seed's :7777). */
export const AGENT_PORT = 7777;
/** The app-server listens on loopback; nginx fronts it on :80. */
export const APP_SERVER_PORT = 3000;

/**
 * Debian packages of the base layer (debootstrap --variant=minbase --include=…).
 * Node is not among them: Debian bookworm ships Node 18 while our bundles target Node 20,
 * so the host's own node binary is copied in (see docs/guest-image.md).
 */
export const GUEST_PACKAGES = [
  // init and login
  'systemd', 'systemd-sysv', 'dbus', 'openssh-server', 'libstdc++6', 'ca-certificates',
  // the services scenarios break
  'nginx-light', 'postgresql',
  // what an SRE reaches for
  'procps', 'iproute2', 'iputils-ping', 'curl', 'less', 'vim-tiny', 'htop', 'lsof', 'strace',
  'bind9-dnsutils', 'sysstat', 'psmisc', 'jq', 'tcpdump', 'netcat-openbsd', 'logrotate',
  // the agent's network faults
  'iptables', 'libnetfilter-queue1',
  // modprobe: in a real VM the agent loads sch_prio, sch_netem and the iptables modules on demand
  'kmod',
] as const;

/** Units that slow boot or make no sense in a lab VM. */
export const MASKED_UNITS = [
  'apt-daily.timer', 'apt-daily-upgrade.timer', 'e2scrub_all.timer', 'e2scrub_reap.service',
  'fstrim.timer', 'man-db.timer', 'systemd-timesyncd.service',
  'getty@tty1.service', 'console-getty.service',
  'sysstat-collect.timer', 'sysstat-summary.timer', 'postgresql-cleanup.timer',
] as const;

/** Services a VM runs only when its tier lists them; the driver enables them per VM. */
export const TIER_SERVICES = ['nginx', 'postgresql', 'app-server'] as const;

/** Hashes any JSON-able recipe part into a short cache key. */
export function hashRecipe(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}
