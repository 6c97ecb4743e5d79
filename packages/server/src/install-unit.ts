/**
 * The systemd unit `pudu install` writes. How hard it can be depends on the driver:
 *
 * - qemu, firecracker, kubernetes: the full set — read-only system (ProtectSystem=strict),
 *   private /tmp, no home, no kernel modules/logs/clock, NoNewPrivileges, and only the
 *   capabilities the driver uses (TAPs and firewall rules; the jailer's chroot and mounts).
 * - sandbox: its VMs are mounts and network namespaces the host must see (`ip netns`,
 *   `pudu cleanup`, adopting VMs after a restart). Every file-system protection of systemd
 *   puts the service in a mount namespace of its own, whose mounts never reach the host
 *   ("what's disconnected is disconnected"), so this profile keeps the host's mount
 *   namespace and hardens with what needs none: a capability bounding set without the
 *   host-wide ones (modules, raw I/O, reboot, clock, MAC, BPF), native syscalls only, no
 *   personality changes, no realtime. The VMs inherit these limits too.
 */
import type { DriverChoice } from '@pudu/drivers';

export interface UnitOptions {
  /** Absolute path of the node binary (the one that ran the install). */
  node: string;
  /** Install prefix, e.g. /opt/pudu. */
  prefix: string;
  configFile: string;
  driver: DriverChoice;
}

/** Capabilities a sandbox host needs: namespaces, mounts, cgroups, veths, firewall, and full systems inside. */
const SANDBOX_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_ADMIN', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_SETFCAP',
];
/** QEMU: TAP devices, addresses, iptables, per-link sysctls; the port below 1024 if asked. */
const QEMU_CAPS = ['CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_NET_BIND_SERVICE'];
/** Firecracker adds what its jailer does: chroot, mounts, device nodes, dropping to its own uid. */
const FIRECRACKER_CAPS = [...QEMU_CAPS, 'CAP_SYS_ADMIN', 'CAP_SYS_CHROOT', 'CAP_MKNOD', 'CAP_SETUID', 'CAP_SETGID', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER'];

function header(o: UnitOptions): string[] {
  return [
    '# Written by `pudu install`; `pudu uninstall` removes it. Settings: ' + o.configFile,
    '[Unit]',
    'Description=Pudu chaos-engineering lab server',
    `Documentation=file://${o.prefix}/docs/operating.md`,
    'After=network-online.target postgresql.service',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=exec',
    // Fails early, with file:line:col in the journal, instead of a half-started server.
    `ExecStartPre=${o.node} ${o.prefix}/pudu config check --config ${o.configFile}`,
    `ExecStart=${o.node} ${o.prefix}/pudu server --config ${o.configFile}`,
    // SIGHUP reloads the TLS certificate and key (certbot deploy hook: systemctl reload pudu).
    'ExecReload=/bin/kill -HUP $MAINPID',
    'Restart=on-failure',
    'RestartSec=2s',
    'TimeoutStopSec=30s',
    'Environment=NODE_ENV=production',
    'StateDirectory=pudu',
    'CacheDirectory=pudu',
    'StateDirectoryMode=0750',
    'LimitNOFILE=65536',
    'SystemCallArchitectures=native',
    'LockPersonality=yes',
    'RestrictRealtime=yes',
  ];
}

function sandboxProfile(): string[] {
  return [
    // VMs are this service's children: they outlive a restart of the server, which adopts them again.
    'KillMode=process',
    // The sandbox creates its VMs' cgroups below ours.
    'Delegate=yes',
    `CapabilityBoundingSet=${SANDBOX_CAPS.join(' ')}`,
    '# No ProtectSystem=/PrivateTmp=/ProtectHome= here: see docs/operating.md, "Why the sandbox unit keeps the host mount namespace".',
  ];
}

function hypervisorProfile(driver: 'qemu' | 'firecracker'): string[] {
  return [
    'KillMode=mixed',
    'ProtectSystem=strict',
    'PrivateTmp=yes',
    'ProtectHome=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'ProtectControlGroups=yes',
    // Per-TAP forwarding is a sysctl under /proc/sys/net: ProtectKernelTunables would make it read-only.
    'ProtectKernelTunables=no',
    'NoNewPrivileges=yes',
    'RestrictSUIDSGID=yes',
    'UMask=0027',
    ...(driver === 'firecracker' ? ['ReadWritePaths=/srv/jailer', 'RestrictNamespaces=mnt pid net'] : ['RestrictNamespaces=yes']),
    `CapabilityBoundingSet=${(driver === 'qemu' ? QEMU_CAPS : FIRECRACKER_CAPS).join(' ')}`,
    'DeviceAllow=/dev/kvm rw',
    'DeviceAllow=/dev/net/tun rw',
    'DevicePolicy=closed',
  ];
}

/** Kubernetes: the server is only an API client of the cluster — no root powers at all. */
function kubernetesProfile(): string[] {
  return [
    'KillMode=mixed', 'DynamicUser=yes', 'ProtectSystem=strict', 'PrivateTmp=yes', 'PrivateDevices=yes', 'ProtectHome=yes',
    'ProtectKernelModules=yes', 'ProtectKernelLogs=yes', 'ProtectKernelTunables=yes', 'ProtectClock=yes', 'ProtectHostname=yes',
    'ProtectControlGroups=yes', 'NoNewPrivileges=yes', 'RestrictSUIDSGID=yes', 'RestrictNamespaces=yes', 'UMask=0027',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6', 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE', 'AmbientCapabilities=CAP_NET_BIND_SERVICE',
    // A dynamic user is not root: say where the state directory is instead of falling back to its (unwritable) home.
    'Environment=PUDU_DATA_DIR=/var/lib/pudu',
  ];
}

/** The unit file's text for `o.driver` (`auto` gets the sandbox profile: what auto picks on a host without a booting KVM). */
export function renderUnit(o: UnitOptions): string {
  const profile = o.driver === 'qemu' || o.driver === 'firecracker' ? hypervisorProfile(o.driver) : o.driver === 'kubernetes' ? kubernetesProfile() : sandboxProfile();
  return [...header(o), ...profile, '', '[Install]', 'WantedBy=multi-user.target', ''].join('\n');
}
