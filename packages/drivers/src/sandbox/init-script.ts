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
}

/** Single-quotes a value for sh. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const DEV_NODES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'] as const;

function initStage(i: InitScriptInput): string {
  const r = shq(i.root);
  return [
    'set -eu',
    'mount --make-rprivate /',
    `hostname ${shq(i.hostname)}`,
    `mount -o loop,noatime ${shq(i.disk)} ${shq(i.diskMount)}`,
    `mkdir -p ${shq(`${i.diskMount}/upper`)} ${shq(`${i.diskMount}/work`)}`,
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
    ...DEV_NODES.flatMap((d) => [`touch dev/${d}`, `mount --bind /dev/${d} dev/${d}`]),
    'mkdir dev/pts dev/shm',
    'mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts dev/pts',
    'ln -s pts/ptmx dev/ptmx',
    'mount -t tmpfs -o nosuid,nodev,mode=1777 shm dev/shm',
    'ln -s /proc/self/fd dev/fd && ln -s /proc/self/fd/0 dev/stdin && ln -s /proc/self/fd/1 dev/stdout && ln -s /proc/self/fd/2 dev/stderr',
    // systemd writes its boot status to /dev/console: that is the VM's console log.
    `touch dev/console && mount --bind ${shq(i.consoleLog)} dev/console`,
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
