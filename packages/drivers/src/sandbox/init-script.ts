/**
 * The two shell stages that turn a process into a sandbox VM with systemd as PID 1.
 *
 * launcher (host, runs as the spawned child): joins the VM's cgroups, then enters the
 *   VM's netns and new mount/pid/uts/ipc/cgroup namespaces. Joining before unshare matters:
 *   the cgroup namespace is rooted where the process is at that moment, and every later
 *   process of the VM inherits the limits.
 * init (PID 1 of the new PID namespace, still the host's filesystem): loop-mounts the VM
 *   disk, builds the overlay root (per-VM config layer : image, upper on the VM disk),
 *   mounts /proc, /sys (read-only), a minimal /dev, the name=systemd cgroup, the lxcfs
 *   views, pivots into the root and execs systemd.
 */
import { LXCFS_PROC_FILES } from './lxcfs.ts';

export interface InitScriptInput {
  hostname: string;
  netns: string;
  cgroupProcs: string[];
  imageRootfs: string;
  disk: string;
  diskMount: string;
  confDir: string;
  root: string;
  consoleLog: string;
  lxcfs: string;
  /** A directory with the VM's /dev skeleton (device nodes, symlinks, pts/, shm/, console). */
  devTemplate: string;
  /** Host directory bound at the guest's agent socket directory (the host's only way to the agent). */
  agentDir: string;
  agentGuestDir: string;
}

/** Single-quotes a value for sh. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function initStage(i: InitScriptInput): string {
  const r = shq(i.root);
  return [
    // Every line that is not a shell builtin is a fork+exec, which on a loaded 2-core host costs
    // several ms: the disk comes pre-made with upper/ and work/, /dev from a template.
    'set -eu',
    'mount --make-rprivate /',
    `echo ${shq(i.hostname)} > /proc/sys/kernel/hostname`,
    `mount -o loop,noatime ${shq(i.disk)} ${shq(i.diskMount)}`,
    // xino=on: without it, files written into the upper layer (another filesystem) report
    // that filesystem's st_dev, so `du -x /` skips exactly the files a trainee must find.
    `mount -t overlay pudu-root -o ${shq(`lowerdir=${i.confDir}:${i.imageRootfs},upperdir=${i.diskMount}/upper,workdir=${i.diskMount}/work,xino=on`)} ${r}`,
    `cd ${r}`,
    'mount -t proc -o nosuid,nodev,noexec proc proc',
    ...LXCFS_PROC_FILES.map((f) => `mount --bind ${shq(`${i.lxcfs}/proc/${f}`)} proc/${f}`),
    'mount -t sysfs -o ro,nosuid,nodev,noexec sysfs sys',
    `if [ -e ${shq(`${i.lxcfs}/sys/devices/system/cpu/online`)} ]; then mount --bind ${shq(`${i.lxcfs}/sys/devices/system/cpu/online`)} sys/devices/system/cpu/online; fi`,
    'mount -t tmpfs -o nosuid,nodev,noexec,mode=755,size=1m cgroup-root sys/fs/cgroup',
    'mkdir sys/fs/cgroup/systemd',
    'mount -t cgroup -o none,name=systemd,nosuid,nodev,noexec cgroup sys/fs/cgroup/systemd',
    'mount -t tmpfs -o nosuid,mode=755,size=64k dev-tmpfs dev',
    `cp -a ${shq(`${i.devTemplate}/.`)} dev/`,
    'mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts dev/pts',
    'mount -t tmpfs -o nosuid,nodev,mode=1777 shm dev/shm',
    // /run is ours (systemd leaves a mounted /run alone), so the agent's socket directory can
    // be a host directory: the host reaches the agent without any network path to sniff or redirect.
    'mount -t tmpfs -o nosuid,nodev,mode=755 run run',
    `mkdir -p ${shq(`.${i.agentGuestDir}`)}`,
    `mount --bind ${shq(i.agentDir)} ${shq(`.${i.agentGuestDir}`)}`,
    // systemd writes its boot status to /dev/console: that is the VM's console log.
    `mount --bind ${shq(i.consoleLog)} dev/console`,
    'echo "pudu-sandbox: root filesystem ready, starting systemd"',
    'pivot_root . .',
    'umount -l .',
    'cd /',
    'exec /usr/bin/env -i container=pudu-sandbox PATH=/usr/sbin:/usr/bin:/sbin:/bin /lib/systemd/systemd --system --show-status=false',
  ].join('\n');
}

/** The command line to spawn (`sh -c <script>`) for one sandbox VM. */
export function launcherArgs(i: InitScriptInput): string[] {
  const join = i.cgroupProcs.map((p) => `echo $$ > ${shq(p)}`).join(' && ');
  const script = [
    'set -eu',
    join,
    `exec ip netns exec ${shq(i.netns)} unshare --cgroup --mount --pid --uts --ipc --fork --kill-child sh -c ${shq(initStage(i))}`,
  ].join('\n');
  return ['-c', script];
}
