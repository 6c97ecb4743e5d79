/**
 * A real namespace sandbox standing in for a VM in the agent's integration tests:
 * netns + veth (172.16.N.1/30 ↔ 172.16.N.2), cgroup v1 memory/cpu limits, private mount/
 * pid/uts/ipc/cgroup namespaces, and systemd as PID 1 over an overlay root (lower = cached
 * Debian minbase, upper = an ext4 image that is the VM's disk). The agent runs inside as
 * its systemd unit, exactly as in the guest image. Everything is measured from outside.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createAgentClient, generateAgentKeyPair, type AgentClient, type AgentEndpoint } from '@pudu/agent';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { leaseIndex } from '../../../packages/drivers/src/network/index-allocator.ts';

export const AGENT_TEST_INDEX_MIN = 200;
export const AGENT_TEST_INDEX_MAX = 219;
const REPO = new URL('../../../', import.meta.url).pathname;
const CACHE = process.env.PUDU_CACHE_DIR ?? '/var/cache/pudu';
const READY_TIMEOUT_MS = 20_000;
const AGENT_PORT = 7777;

export interface Exec {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a host command; never rejects on a non-zero exit. */
export function sh(cmd: string, args: string[], timeoutMs = 30_000): Promise<Exec> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const BUILD_STEP_TIMEOUT_MS = 30 * 60_000;
const FAILURE_TAIL_LINES = 25;

/** Runs a build step sized for a new machine; a failure carries the tail of its output, not all of it. */
async function must(cmd: string, args: string[], timeoutMs = 30_000): Promise<string> {
  const r = await sh(cmd, args, timeoutMs);
  if (r.code !== 0) {
    const tail = r.stderr.trim().split('\n').slice(-FAILURE_TAIL_LINES).join('\n');
    throw new Error(`${cmd.replace(REPO, '')} exited ${r.code}:\n${tail}`);
  }
  return r.stdout;
}

let artifacts: Promise<{ bundle: string; nfq: string; rootfs: string }> | undefined;

/** Builds (once per test process) the agent bundle and pudu-nfq, and the cached rootfs. */
export function prepareArtifacts(): Promise<{ bundle: string; nfq: string; rootfs: string }> {
  artifacts ??= (async () => {
    const dir = join(CACHE, 'agent-test-build', String(process.pid));
    mkdirSync(dir, { recursive: true });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const bundle = join(dir, 'pudu-agent');
    await build({
      entryPoints: [join(REPO, 'packages/agent/src/main.ts')],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      target: 'node18',
      format: 'esm',
      banner: { js: '#!/usr/bin/env node\nimport { createRequire as __pudu_cr } from "node:module"; const require = __pudu_cr(import.meta.url);' },
      logLevel: 'warning',
    });
    chmodSync(bundle, 0o755);
    const nfq = (await must(join(REPO, 'packages/agent/native/build.sh'), [dir], BUILD_STEP_TIMEOUT_MS)).trim();
    // scripts/test.mjs builds the rootfs once before any test file starts and says here if that failed.
    const setupError = process.env.PUDU_TEST_SETUP_FAILED_AGENT_ROOTFS;
    if (setupError) throw new Error(`agent test rootfs unavailable: ${setupError}`);
    const rootfs = (await must(join(REPO, 'test/agent/support/prepare-rootfs.sh'), [], BUILD_STEP_TIMEOUT_MS)).trim().split('\n').pop() as string;
    return { bundle, nfq, rootfs };
  })();
  return artifacts;
}

export interface SandboxOptions {
  memMb?: number;
  cpus?: number;
  diskMb?: number;
  /** Extra agent flags, e.g. `--deadman 2s`. */
  agentOpts?: string;
  /**
   * How the host reaches the agent: `unix` (default, as the sandbox driver does: a socket in
   * a host directory bound into the VM) or `tcp` on the VM's link.
   */
  channel?: 'unix' | 'tcp';
}

export interface AgentSandbox {
  readonly index: number;
  readonly hostIp: string;
  readonly vmIp: string;
  /** The TCP address of the agent (only with channel 'tcp'). */
  readonly baseUrl: string;
  readonly endpoint: AgentEndpoint;
  /** The fleet's signing key (PEM) and this agent's audience. */
  readonly signingKey: string;
  readonly audience: string;
  /** A signed client for this agent. */
  client(o?: { timeoutMs?: number; signingKey?: string; audience?: string }): AgentClient;
  readonly netns: string;
  /** Host PID of the sandbox's PID 1 (systemd). */
  readonly pid1: number;
  /** cgroup v1 directories of the sandbox on the host. */
  readonly cgroups: { memory: string; cpu: string; cpuacct: string; systemd: string } & Record<string, string>;
  /** Runs a command inside the sandbox (all its namespaces). */
  exec(cmd: string, ...args: string[]): Promise<Exec>;
  /** Host PID of the agent (its unit's MainPID). */
  agentPid(): Promise<number>;
  destroy(): Promise<void>;
}

function selfCgroup(controller: string): string {
  const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller));
  return line ? (line.split(':')[2] as string) : '/';
}

function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroupTree(join(dir, e.name));
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

function cgroupEmpty(dir: string): boolean {
  if (!existsSync(dir)) return true;
  try {
    if (readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim() !== '') return false;
  } catch {
    return true;
  }
  return readdirSync(dir, { withFileTypes: true }).every((e) => !e.isDirectory() || cgroupEmpty(join(dir, e.name)));
}

const INIT_SH = `set -e
D="$1"; ROOTFS="$2"; NODE="$3"; AGENT="$4"; NFQ="$5"
mount --make-rprivate /
mkdir -p "$D/disk" "$D/root"
mount -o loop "$D/disk.img" "$D/disk"
mount -t overlay overlay -o "lowerdir=$ROOTFS,upperdir=$D/disk/upper,workdir=$D/disk/work" "$D/root"
R="$D/root"
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
# A private /dev: only harmless nodes of the host, so nothing in the sandbox reaches host ttys or disks.
mount -t tmpfs -o mode=755 tmpfs "$R/dev"
for d in null zero full random urandom tty; do touch "$R/dev/$d"; mount --bind "/dev/$d" "$R/dev/$d"; done
mkdir -p "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
mount -t tmpfs tmpfs "$R/dev/shm"
mount -t tmpfs -o mode=755 tmpfs "$R/run"
# The agent's socket lives in a host directory (no network path to sniff or redirect).
mkdir -p "$R/run/pudu-agent"
mount --bind "$D/ctl" "$R/run/pudu-agent"
mount -t tmpfs -o mode=755 tmpfs "$R/sys/fs/cgroup"
for c in systemd memory cpu cpuacct; do mkdir -p "$R/sys/fs/cgroup/$c"; done
mount -t cgroup -o none,name=systemd cgroup "$R/sys/fs/cgroup/systemd"
mount -t cgroup -o memory cgroup "$R/sys/fs/cgroup/memory"
mount -t cgroup -o cpu cgroup "$R/sys/fs/cgroup/cpu"
mount -t cgroup -o cpuacct cgroup "$R/sys/fs/cgroup/cpuacct"
mount --bind -o ro "$NODE" "$R/usr/local/bin/node"
mount --bind -o ro "$AGENT" "$R/usr/local/bin/pudu-agent"
mount --bind -o ro "$NFQ" "$R/usr/local/lib/pudu/pudu-nfq"
mkdir -p "$R/.oldroot"
cd "$R"
pivot_root . .oldroot
umount -l /.oldroot
rmdir /.oldroot
export container=pudu
exec /lib/systemd/systemd --system --log-target=null </dev/null >/dev/null 2>&1
`;

/** Creates the sandbox for VM index N (200–219) and waits until its agent answers /health. */
export async function createAgentSandbox(index: number, opts: SandboxOptions = {}): Promise<AgentSandbox> {
  if (index < AGENT_TEST_INDEX_MIN || index > AGENT_TEST_INDEX_MAX) throw new Error(`agent tests own VM indexes 200–219, not ${index}`);
  // The same host-wide lease the drivers take: two test files (or a QEMU test's driver) given
  // the same index would otherwise tear down each other's links and routes.
  const lease = await leaseIndex(index);
  if (!lease) throw new Error(`VM index ${index} is leased by another process (another test file uses it): give each test file its own index`);
  const { bundle, nfq, rootfs } = await prepareArtifacts();
  const netns = `pudu-agt-${index}`;
  const vh = `vh${index}`;
  const vs = `vs${index}`;
  const hostIp = `172.16.${index}.1`;
  const vmIp = `172.16.${index}.2`;
  const work = `/tmp/pudu-agt-${index}`;
  const cg = {
    memory: `/sys/fs/cgroup/memory${selfCgroup('memory').replace(/\/$/, '')}/pudu-agt-${index}`,
    cpu: `/sys/fs/cgroup/cpu/pudu-agt-${index}`,
    cpuacct: `/sys/fs/cgroup/cpuacct/pudu-agt-${index}`,
    systemd: `/sys/fs/cgroup/systemd/pudu-agt-${index}`,
    // No limits there, but systemd in the sandbox mounts these itself: without a cgroup of our
    // own in each, its units' cgroups land at the host's roots (as the sandbox driver does).
    ...Object.fromEntries(
      ['devices', 'pids', 'blkio', 'freezer', 'unified']
        .filter((h) => existsSync(`/sys/fs/cgroup/${h}/cgroup.procs`))
        .map((h) => [h, `/sys/fs/cgroup/${h}${selfCgroup(h === 'unified' ? '' : h).replace(/\/$/, '')}/pudu-agt-${index}`]),
    ),
  };
  const keys = generateAgentKeyPair();
  const audience = `agent-test/vm${index}`;
  const channel = opts.channel ?? 'unix';
  const ctlDir = join(work, 'ctl');
  const endpoint: AgentEndpoint = channel === 'unix' ? { kind: 'unix', path: join(ctlDir, 'agent.sock') } : { kind: 'tcp', host: vmIp, port: AGENT_PORT };
  const client = (o: { timeoutMs?: number; signingKey?: string; audience?: string } = {}): AgentClient =>
    createAgentClient({ endpoint, signingKey: o.signingKey ?? keys.privateKeyPem, audience: o.audience ?? audience, timeoutMs: o.timeoutMs });
  let child: ChildProcess | undefined;
  let pid1 = 0;

  const destroy = async (): Promise<void> => {
    if (pid1 > 0) {
      try {
        process.kill(pid1, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 5000);
        child?.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
    }
    for (let i = 0; i < 100 && !Object.values(cg).every(cgroupEmpty); i++) await new Promise((r) => setTimeout(r, 50));
    for (const dir of Object.values(cg)) removeCgroupTree(dir);
    await sh('ip', ['netns', 'del', netns]);
    await sh('ip', ['link', 'del', vh]);
    rmSync(work, { recursive: true, force: true });
  };
  const destroyAndRelease = async (): Promise<void> => {
    await destroy();
    await lease.release();
  };

  await destroy(); // leftovers of a crashed earlier run with the same index
  try {
    // The VM's disk: an ext4 image whose root holds the overlay's upper and work dirs.
    const stage = join(work, 'stage');
    const up = join(stage, 'upper');
    mkdirSync(join(stage, 'work'), { recursive: true });
    for (const d of ['etc/systemd/system/multi-user.target.wants', 'etc/pudu', 'etc/default', 'usr/local/bin', 'usr/local/lib/pudu']) mkdirSync(join(up, d), { recursive: true });
    copyFileSync(join(REPO, 'packages/agent/pudu-agent.service'), join(up, 'etc/systemd/system/pudu-agent.service'));
    symlinkSync('/etc/systemd/system/pudu-agent.service', join(up, 'etc/systemd/system/multi-user.target.wants/pudu-agent.service'));
    // No consoles in a sandbox: no gettys.
    for (const u of ['getty.target', 'getty@.service', 'autovt@.service', 'serial-getty@.service', 'container-getty@.service']) symlinkSync('/dev/null', join(up, 'etc/systemd/system', u));
    writeFileSync(join(up, 'etc/pudu/agent.pub'), `${keys.publicKey}\n`);
    const listen = channel === 'unix' ? '--listen unix:/run/pudu-agent/agent.sock' : `--allow-from ${hostIp}/32`;
    writeFileSync(join(up, 'etc/default/pudu-agent'), `PUDU_AGENT_OPTS="${listen} --audience ${audience} ${opts.agentOpts ?? ''}"\n`);
    mkdirSync(ctlDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(up, 'etc/hostname'), `vm${index}\n`);
    writeFileSync(join(up, 'etc/hosts'), `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n${vmIp}\tvm${index}\n10.0.0.5\tdb.internal\n`);
    // No DNS server is reachable from a sandbox: fail lookups at once instead of timing out.
    writeFileSync(join(up, 'etc/resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
    for (const f of ['usr/local/bin/node', 'usr/local/bin/pudu-agent', 'usr/local/lib/pudu/pudu-nfq']) writeFileSync(join(up, f), '');
    await must('mkfs.ext4', ['-q', '-F', '-d', stage, join(work, 'disk.img'), `${opts.diskMb ?? 256}M`]);
    rmSync(stage, { recursive: true, force: true });
    writeFileSync(join(work, 'init.sh'), INIT_SH);

    await must('ip', ['netns', 'add', netns]);
    await must('ip', ['link', 'add', vh, 'type', 'veth', 'peer', 'name', vs, 'netns', netns]);
    await must('ip', ['addr', 'add', `${hostIp}/30`, 'dev', vh]);
    await must('ip', ['link', 'set', vh, 'up']);
    await must('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
    await must('ip', ['-n', netns, 'addr', 'add', `${vmIp}/30`, 'dev', vs]);
    await must('ip', ['-n', netns, 'link', 'set', vs, 'up']);
    await must('ip', ['-n', netns, 'route', 'add', 'default', 'via', hostIp]);
    const route = await must('ip', ['route', 'get', vmIp]);
    if (!route.includes(`dev ${vh}`)) throw new Error(`refusing traffic: ${vmIp} does not route via ${vh}: ${route}`);

    for (const dir of Object.values(cg)) mkdirSync(dir, { recursive: true });
    writeFileSync(join(cg.memory, 'memory.limit_in_bytes'), String((opts.memMb ?? 512) * 1024 * 1024));
    writeFileSync(join(cg.cpu, 'cpu.cfs_period_us'), '100000');
    writeFileSync(join(cg.cpu, 'cpu.cfs_quota_us'), String(Math.round((opts.cpus ?? 1) * 100000)));
    // A VM's vCPU is a reserved share, not one task among many: weight the sandbox like 4 tasks
    // so a busy shared host (other engineers' tests) does not starve the CPU fault's effect.
    writeFileSync(join(cg.cpu, 'cpu.shares'), '4096');
    const join_ = Object.values(cg).map((d) => `echo $$ > ${d}/cgroup.procs`).join(' && ');
    child = spawn('sh', ['-c', `${join_} && exec ip netns exec ${netns} unshare --cgroup --mount --pid --uts --ipc --fork --kill-child /bin/sh ${work}/init.sh ${work} ${rootfs} ${process.execPath} ${bundle} ${nfq}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const launcher = child.pid as number;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (pid1 === 0 && Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`sandbox launcher exited ${child.exitCode}: ${stderr}`);
      const kids = readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8').trim();
      if (kids) pid1 = Number(kids.split(' ')[0]);
      else await new Promise((r) => setTimeout(r, 20));
    }
    const baseUrl = `http://${vmIp}:${AGENT_PORT}`;
    const probe = client({ timeoutMs: 500 });
    for (;;) {
      if (child.exitCode !== null) throw new Error(`sandbox exited ${child.exitCode}: ${stderr}`);
      try {
        await probe.health();
        break;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) {
        const diag = pid1 ? await sh('nsenter', ['-t', String(pid1), '-a', 'sh', '-c', 'systemctl is-system-running; systemctl status pudu-agent --no-pager; journalctl -u pudu-agent --no-pager | tail -20']) : undefined;
        throw new Error(`agent in ${netns} did not answer /health within ${READY_TIMEOUT_MS} ms: ${stderr}\n${diag?.stdout ?? ''}${diag?.stderr ?? ''}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const exec = (cmd: string, ...args: string[]): Promise<Exec> => sh('nsenter', ['-t', String(pid1), '-a', cmd, ...args]);
    return {
      index,
      hostIp,
      vmIp,
      baseUrl,
      endpoint,
      signingKey: keys.privateKeyPem,
      audience,
      client,
      netns,
      pid1,
      cgroups: cg,
      exec,
      async agentPid() {
        const out = await exec('systemctl', 'show', '-p', 'MainPID', '--value', 'pudu-agent');
        const nsPid = Number(out.stdout.trim());
        // Map the namespace PID to the host PID: same PID namespace as PID 1, NSpid ends with it.
        const ns = readlinkSync(`/proc/${pid1}/ns/pid`);
        for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
          try {
            if (readlinkSync(`/proc/${pid}/ns/pid`) !== ns) continue;
            const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.trim().split(/\s+/);
            if (nspid && Number(nspid[nspid.length - 1]) === nsPid) return Number(pid);
          } catch {
            /* exited meanwhile */
          }
        }
        throw new Error(`agent pid ${nsPid} not found on the host`);
      },
      destroy: destroyAndRelease,
    };
  } catch (e) {
    await destroyAndRelease();
    throw e;
  }
}
