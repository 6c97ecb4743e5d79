/**
 * The shell stages that turn a process into a sandbox VM with systemd as PID 1. Every
 * stage ends in `exec`, so the launcher's PID is, at the end, the `unshare` that owns the
 * VM's namespaces and holds its index lease (fd 3) for as long as the VM lives.
 *
 * launcher (host root): joins the VM's cgroups — before any unshare, so the cgroup
 *   namespace is rooted at the VM and every later process inherits the limits.
 * stage A (host root, private mount namespace): loop-mounts the VM disk, starts the VM's own
 *   lxcfs (see below), idmaps the shared image, builds the overlay root and /dev, then locks
 *   the device cgroup down to the allow-list (after the loop mount and lxcfs's /dev/fuse,
 *   which need their devices once). Then it unshares user, net, pid, uts, ipc, cgroup, time
 *   and mount namespaces; the mounts made so far are locked into the VM's mount namespace and
 *   cannot be undone from inside.
 *   The time namespace gives the VM a past: its boot and monotonic clocks run `clockOffsetS`
 *   ahead (by the wanted uptime minus the host's), so `uptime`, `/proc/<pid>/stat` start times and `ps` elapsed times agree on a VM
 *   that has been up for weeks (realtime cannot be namespaced: wall-clock timestamps stay
 *   true). lxcfs answers /proc/stat with the *reader's* cgroup but its own clocks, so its
 *   `btime` would be off by the offset (`ps` START in the future): each VM runs its own
 *   lxcfs inside a time namespace with the same offset, mounted only in the VM's private
 *   mount namespace and living in the VM's cgroups (teardown's SIGKILL takes it).
 *   `unshare --map-users` maps the namespace (userns.ts: idMapShimDir) before its first exec,
 *   and `--setuid 0` makes the VM's PID 1 the VM's root: host uid VM_ID_BASE.
 * stage B (PID 1 of the VM): says `ready` on fd 4 and waits for `go` on fd 0 while the driver
 *   links the VM's network namespace to the host; drops capabilities from its bounding set.
 * stage C (root of the VM): mounts /proc, /sys, cgroups and lxcfs views it owns, closes
 *   IPv6 on eth0, pivots into the root and execs systemd (which sets the hostname from
 *   /etc/hostname in its own UTS namespace).
 */
import { dirname } from 'node:path';
import { LXCFS_BIN, LXCFS_PROC_FILES } from './lxcfs.ts';
import { IDMAP_MOUNT_PERL, VM_ID_BASE, VM_ID_COUNT } from './userns.ts';

export interface InitScriptInput {
  hostname: string;
  cgroupProcs: string[];
  /** The VM's cgroup in the devices hierarchy (its allow-list is written there). */
  devicesCgroup: string;
  imageRootfs: string;
  /** Where the idmapped view of imageRootfs is mounted (inside the VM's mount namespace only). */
  imageView: string;
  /** A user namespace with the VM id map (`/proc/<pid>/ns/user`), for the idmapped mount. */
  mappingUserns: string;
  /** Directory of the newuidmap/newgidmap that `unshare --map-users` runs. */
  idMapShims: string;
  disk: string;
  diskMount: string;
  confDir: string;
  root: string;
  consoleLog: string;
  /** Mount point of the VM's own lxcfs (a directory in its state dir; mounted only inside its namespaces). */
  lxcfs: string;
  /** Pid file of that lxcfs. */
  lxcfsPidfile: string;
  /**
   * How far ahead of the host's the VM's boot-time and monotonic clocks run (seconds, ≥ 0): its
   * uptime is the host's plus this. null: the host kernel has no time namespaces, the VM's
   * clocks are the host's.
   */
  clockOffsetS: number | null;
  /** A directory with the VM's /dev skeleton (device nodes, symlinks, pts/, shm/, console). */
  devTemplate: string;
  /** Host directory bound at the guest's agent socket directory (the host's only way to the agent). */
  agentDir: string;
  agentGuestDir: string;
}

/** Devices a VM may use (the device cgroup denies every other): null, zero, full, random, urandom, tty, ptmx, its ptys. */
export const DEVICE_ALLOW_LIST = ['c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm', 'c 5:0 rwm', 'c 5:2 rwm', 'c 136:* rwm'] as const;

/**
 * Capabilities removed from the VM's bounding set. Inside its own user namespace most would
 * be powerless anyway; dropping them keeps `capsh --print` honest and shrinks the kernel
 * surface a trainee can poke (modules, raw I/O, clock, BPF, perf, audit, MAC, syslog).
 * Kept: what systemd, sshd, PostgreSQL, tcpdump, strace and the agent's faults use
 * (sys_admin for mounts in its namespaces, net_admin for iptables/tc, sys_ptrace, …).
 */
export const DROPPED_CAPABILITIES = [
  'sys_module', 'sys_rawio', 'sys_time', 'sys_pacct', 'mknod', 'mac_admin', 'mac_override', 'syslog', 'wake_alarm',
  'block_suspend', 'audit_read', 'audit_control', 'bpf', 'perfmon', 'checkpoint_restore',
] as const;

/** Single-quotes a value for sh. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function stageC(i: InitScriptInput): string {
  // Every line that is not a shell builtin is a fork+exec, which on a loaded 2-core host costs
  // several ms: the disk comes pre-made with upper/ and work/, /dev from a template.
  return [
    'set -eu',
    // Mounts made by stage A are locked in this namespace, and pivot_root refuses a locked new
    // root: a recursive bind of it onto itself is this namespace's own (its submounts stay locked).
    `mount --rbind ${shq(i.root)} ${shq(i.root)}`,
    `cd ${shq(i.root)}`,
    'mount -t proc -o nosuid,nodev,noexec proc proc',
    ...LXCFS_PROC_FILES.map((f) => `mount --bind ${shq(`${i.lxcfs}/proc/${f}`)} proc/${f}`),
    'mount -t sysfs -o ro,nosuid,nodev,noexec sysfs sys',
    `if [ -e ${shq(`${i.lxcfs}/sys/devices/system/cpu/online`)} ]; then mount --bind ${shq(`${i.lxcfs}/sys/devices/system/cpu/online`)} sys/devices/system/cpu/online; fi`,
    'mount -t tmpfs -o nosuid,nodev,noexec,mode=755,size=1m cgroup-root sys/fs/cgroup',
    'mkdir sys/fs/cgroup/systemd',
    'mount -t cgroup -o none,name=systemd,nosuid,nodev,noexec cgroup sys/fs/cgroup/systemd',
    'mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts dev/pts',
    // /run is ours (systemd leaves a mounted /run alone), so the agent's socket directory can
    // be a host directory: the host reaches the agent without any network path to sniff or redirect.
    'mount -t tmpfs -o nosuid,nodev,mode=755 run run',
    `mkdir -p ${shq(`.${i.agentGuestDir}`)}`,
    `mount --bind ${shq(i.agentDir)} ${shq(`.${i.agentGuestDir}`)}`,
    // Fleets speak IPv4; the host end of the link has IPv6 disabled and ip6tables drops it too.
    'echo 1 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6',
    'echo "pudu-sandbox: root filesystem ready, starting systemd"',
    'pivot_root . .',
    'umount -l .',
    'cd /',
    'exec /usr/bin/env -i container=pudu-sandbox PATH=/usr/sbin:/usr/bin:/sbin:/bin /lib/systemd/systemd --system --show-status=false',
  ].join('\n');
}

function stageB(i: InitScriptInput): string {
  return [
    'set -eu',
    'echo ready >&4',
    'read -r go',
    '[ "$go" = go ]',
    // The lease (fd 3) stays with the unshare parent; the handshake pipes are done.
    'exec 3>&- 4>&- </dev/null',
    `exec setpriv --bounding-set=${DROPPED_CAPABILITIES.map((c) => `-${c}`).join(',')} sh -c ${shq(stageC(i))}`,
  ].join('\n');
}

/** Polls of 10 ms before stage A gives up on the VM's lxcfs. */
const LXCFS_POLLS = 1000;

/** `unshare` options that give a new time namespace `offset` seconds ahead; none without an offset. */
function timeNamespace(offset: number | null): string {
  return offset === null ? '' : ` --time --boottime ${offset} --monotonic ${offset}`;
}

/**
 * lxcfs's loadavg thread walks every cgroup on the host every few seconds: counted in the VM's
 * cpu/cpuacct cgroups it showed an idle VM at load ≈ 1 and CPU ≈ 100 % (alerts never cleared).
 * It leaves them for their parent (`echo 0` moves the writing shell itself) and stays in the
 * VM's other cgroups, where teardown finds it.
 */
function lxcfsOutOfVmCpu(cgroupProcs: string[]): string {
  return cgroupProcs
    .filter((f) => /(^|,)cpu(acct)?(,|$)/.test(f.split('/')[4] ?? ''))
    .map((f) => `echo 0 > ${shq(`${dirname(dirname(f))}/cgroup.procs`)} || true; `)
    .join('');
}

/** The shell lines that start the VM's lxcfs in a time namespace with the VM's offset and wait until it serves. */
function startLxcfs(i: InitScriptInput & { clockOffsetS: number | null }): string[] {
  const mnt = shq(i.lxcfs);
  const ready = shq(`${i.lxcfs}/proc/meminfo`);
  // Not the launcher's fds: the lease (3) and the handshake pipes (0, 4) must end with the VM's init, not with lxcfs.
  // Started from a subshell that exits at once, so it is not the launcher's child: the VM's init stays its only one (initPidOf).
  return [
    `mkdir -p ${mnt}`,
    // It lives in the VM's memory cgroup: an OOM there (a leak scenario) must take the leaking process,
    // never the VM's /proc views; its oom_score_adj is set before the exec, so lxcfs inherits it.
    `(echo -1000 > /proc/self/oom_score_adj || true; ${lxcfsOutOfVmCpu(i.cgroupProcs)}exec unshare${timeNamespace(i.clockOffsetS)} --fork ${LXCFS_BIN} -f --enable-cfs --enable-loadavg --pidfile ${shq(i.lxcfsPidfile)} ${mnt} </dev/null >/dev/null 2>&1 3>&- 4>&- &)`,
    `n=0; until [ -e ${ready} ]; do n=$((n+1)); if [ $n -gt ${LXCFS_POLLS} ]; then echo 'pudu-sandbox: lxcfs did not start' >&2; exit 1; fi; sleep 0.01; done`,
  ];
}

function stageA(i: InitScriptInput): string {
  const r = shq(i.root);
  const offset = i.clockOffsetS === null ? null : Math.max(0, Math.round(i.clockOffsetS));
  return [
    'set -eu',
    `mount -o loop,noatime ${shq(i.disk)} ${shq(i.diskMount)}`,
    ...startLxcfs({ ...i, clockOffsetS: offset }),
    `perl -e ${shq(IDMAP_MOUNT_PERL)} ${shq(i.mappingUserns)} ${shq(i.imageRootfs)} ${shq(i.imageView)}`,
    // xino=on: without it, files written into the upper layer (another filesystem) report
    // that filesystem's st_dev, so `du -x /` skips exactly the files a trainee must find.
    `mount -t overlay pudu-root -o ${shq(`lowerdir=${i.confDir}:${i.imageView},upperdir=${i.diskMount}/upper,workdir=${i.diskMount}/work,xino=on`)} ${r}`,
    `cd ${r}`,
    `mount -t tmpfs -o nosuid,mode=755,size=64k,uid=${VM_ID_BASE},gid=${VM_ID_BASE} dev-tmpfs dev`,
    `cp -a ${shq(`${i.devTemplate}/.`)} dev/`,
    `mount -t tmpfs -o nosuid,nodev,mode=1777,uid=${VM_ID_BASE},gid=${VM_ID_BASE} shm dev/shm`,
    // systemd writes its boot status to /dev/console: that is the VM's console log.
    `mount --bind ${shq(i.consoleLog)} dev/console`,
    `echo a > ${shq(`${i.devicesCgroup}/devices.deny`)}`,
    ...DEVICE_ALLOW_LIST.map((d) => `echo ${shq(d)} > ${shq(`${i.devicesCgroup}/devices.allow`)}`),
    `exec env PATH=${shq(`${i.idMapShims}:/usr/sbin:/usr/bin:/sbin:/bin`)} unshare --user --map-users=${VM_ID_BASE},0,${VM_ID_COUNT} --map-groups=${VM_ID_BASE},0,${VM_ID_COUNT} --setuid 0 --setgid 0 --net --pid --uts --ipc --cgroup --mount${timeNamespace(offset)} --fork --kill-child sh -c ${shq(stageB(i))}`,
  ].join('\n');
}

/**
 * The command line to spawn (`sh -c <script>`) for one sandbox VM. The spawner passes
 * fd 0 (a pipe it writes `go` to), fd 3 (the index lease) and fd 4 (a pipe that says `ready`).
 */
export function launcherArgs(i: InitScriptInput): string[] {
  const join = i.cgroupProcs.map((p) => `echo $$ > ${shq(p)}`).join(' && ');
  const script = [
    'set -eu',
    join,
    `exec unshare --mount --propagation private sh -c ${shq(stageA(i))}`,
  ].join('\n');
  return ['-c', script];
}
