import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { PuduError, type AgentProcessParams } from '@pudu/schema';
import { unitOf } from '../services.ts';
import { run, runOk } from '../exec.ts';
import type { FaultDriver, Undo } from './fault.ts';
import { requireTools } from './verify.ts';

const DROPIN_DIR = process.env.PUDU_AGENT_SYSTEMD_RUN_DIR ?? '/run/systemd/system';
/** A drop-in name an operator could have left behind. */
const DROPIN_NAME = '50-tuning.conf';
const DEGRADE_PERIOD_MS = 500;
/** Share of each period the service is frozen: requests wait ≈ this × period on average / 2. */
const DEGRADE_FROZEN_SHARE = 0.8;

async function show(unit: string, props: string[]): Promise<Record<string, string>> {
  const out = await runOk('systemctl', ['show', unit, ...props.map((p) => `--property=${p}`)], `systemctl show ${unit}`);
  const res: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) res[line.slice(0, i)] = line.slice(i + 1);
  }
  return res;
}

/** A unit's own cgroup: never the root or a slice, whose processes include the agent and PID 1. */
function isUnitCgroup(controlGroup: unknown): controlGroup is string {
  return typeof controlGroup === 'string' && /^\/.+\.(service|scope)$/.test(controlGroup);
}

/** PIDs of every process in the unit's cgroup (the v1 name=systemd or the v2 hierarchy). */
function unitPids(controlGroup: string): number[] {
  if (!isUnitCgroup(controlGroup)) return [];
  for (const base of ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified', '/sys/fs/cgroup']) {
    try {
      const text = readFileSync(`${base}${controlGroup}/cgroup.procs`, 'utf8');
      return text.split('\n').filter(Boolean).map(Number);
    } catch {
      /* try the next hierarchy */
    }
  }
  return [];
}

function signalAll(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    if (pid <= 1 || pid === process.pid || pid === process.ppid) continue;
    try {
      process.kill(pid, sig);
    } catch {
      /* gone already */
    }
  }
}

const EMPTY_WAIT_MS = 5000;

/** SIGKILLs what is left in a unit's cgroup until it is empty (or 5 s passed). */
async function emptyCgroup(controlGroup: string): Promise<void> {
  const deadline = Date.now() + EMPTY_WAIT_MS;
  for (let pids = unitPids(controlGroup); pids.length > 0 && Date.now() < deadline; pids = unitPids(controlGroup)) {
    signalAll(pids, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const START_ATTEMPTS = 5;
const START_RETRY_MS = 1000;

async function startWithRetry(unit: string): Promise<void> {
  for (let i = 1; ; i++) {
    const r = await run('systemctl', ['start', unit]);
    if (r.code === 0) return;
    if (i >= START_ATTEMPTS) {
      const log = await run('journalctl', ['-u', unit, '-n', '5', '--no-pager', '-o', 'cat']);
      throw new PuduError('FAULT_NOT_REVERTIBLE', `start ${unit}: ${r.stderr.trim()} ${log.stdout.trim().replace(/\n/g, ' | ')}`);
    }
    await run('systemctl', ['reset-failed', unit]);
    await new Promise((res) => setTimeout(res, START_RETRY_MS));
  }
}

/** The degrade loops live in the agent: if it dies, systemd restarts it and the journal revert thaws the unit. */
const degraders = new Map<string, NodeJS.Timeout>();

function startDegrade(key: string, controlGroup: string): void {
  let frozen = false;
  const tick = (): void => {
    frozen = !frozen;
    signalAll(unitPids(controlGroup), frozen ? 'SIGSTOP' : 'SIGCONT');
    degraders.set(key, setTimeout(tick, DEGRADE_PERIOD_MS * (frozen ? DEGRADE_FROZEN_SHARE : 1 - DEGRADE_FROZEN_SHARE)));
  };
  tick();
}

function stopDegrade(key: string, controlGroup: string): void {
  const t = degraders.get(key);
  if (t) clearTimeout(t);
  degraders.delete(key);
  signalAll(unitPids(controlGroup), 'SIGCONT');
}

/**
 * process: acts on a systemd unit.
 * - stop: `systemctl stop`; Restart= does not bring a stopped unit back, so it stays down
 *   until the trainee finds it. Fixed when the unit is active again.
 * - restart: a crash loop. A runtime drop-in (visible in `systemctl status`) makes the
 *   service die with SIGSEGV shortly after each start and restart forever. Fixed when the
 *   trainee removes the drop-in.
 * - degrade: the service answers slowly: its processes are frozen 80 % of every 500 ms
 *   (SIGSTOP/SIGCONT), which adds up to ≈400 ms to a request. Fixed when the trainee
 *   restarts it (a new main PID).
 */
export const processFault: FaultDriver<'process'> = {
  type: 'process',
  conflictKey: (p) => `process:${unitOf(p.service)}`,
  async plan(id, p: AgentProcessParams): Promise<Undo> {
    const unit = unitOf(p.service);
    const r = await run('systemctl', ['show', unit, '--property=LoadState', '--property=ActiveState', '--property=MainPID', '--property=ControlGroup']);
    if (r.code !== 0) throw new PuduError('FAULT_APPLY_FAILED', `params.service: systemctl is not usable here: ${r.stderr.trim()}`);
    const props = Object.fromEntries(r.stdout.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    if (props.LoadState !== 'loaded') throw new PuduError('FAULT_INVALID', `params.service: unit ${unit} is not installed in the VM (${props.LoadState})`);
    if (p.action !== 'stop' && props.ActiveState !== 'active') {
      throw new PuduError('FAULT_CONFLICT', `params.service: ${unit} is ${props.ActiveState}; action ${p.action} needs it running`);
    }
    if (p.action === 'degrade' && !isUnitCgroup(props.ControlGroup)) {
      throw new PuduError('FAULT_CONFLICT', `params.service: ${unit} has no cgroup of its own yet (ControlGroup="${props.ControlGroup ?? ''}"); try again`);
    }
    return {
      id,
      unit,
      action: p.action,
      wasActive: props.ActiveState === 'active',
      mainPid: Number(props.MainPID),
      controlGroup: props.ControlGroup,
      dropin: `${DROPIN_DIR}/${unit}.d/${DROPIN_NAME}`,
    };
  },
  async verify() {
    return requireTools('process', ['systemctl']);
  },
  async apply(_id, _p, undo) {
    const unit = String(undo.unit);
    if (undo.action === 'stop') {
      await runOk('systemctl', ['stop', unit], 'stop the service');
      return { mechanism: 'systemctl-stop' };
    }
    if (undo.action === 'restart') {
      const dropin = String(undo.dropin);
      mkdirSync(dropin.slice(0, dropin.lastIndexOf('/')), { recursive: true });
      writeFileSync(
        dropin,
        // LimitCORE=0: a SEGV would otherwise dump core, slowly, keeping the port bound meanwhile.
        ['[Unit]', 'StartLimitIntervalSec=0', '', '[Service]', 'Restart=always', 'RestartSec=1', 'LimitCORE=0',
          // In the background so the unit becomes active first, then dies as a crash would.
          // The whole process group crashes (a daemon's workers share its group), so no orphan keeps the port.
          'ExecStartPost=/bin/sh -c "(sleep 2; kill -SEGV -- -$MAINPID || kill -SEGV $MAINPID) >/dev/null 2>&1 &"', ''].join('\n'),
      );
      await runOk('systemctl', ['daemon-reload'], 'reload systemd');
      await runOk('systemctl', ['restart', '--no-block', unit], 'restart the service');
      return { mechanism: 'crash-loop-dropin' };
    }
    startDegrade(String(undo.id), String(undo.controlGroup));
    return { mechanism: 'sigstop-duty-cycle' };
  },
  async revert(undo) {
    const unit = String(undo.unit);
    if (undo.action === 'degrade') {
      stopDegrade(String(undo.id), String(undo.controlGroup));
      return;
    }
    if (undo.action === 'restart' && existsSync(String(undo.dropin))) {
      rmSync(String(undo.dropin), { force: true });
      await runOk('systemctl', ['daemon-reload'], 'reload systemd');
      // Stop first: a crash-looping unit may be mid-restart, and a plain restart can race it.
      // Then kill whatever a crashed main process left in the unit's cgroup (orphaned workers
      // would keep the port and make the next start fail).
      await run('systemctl', ['stop', unit]);
      await run('systemctl', ['kill', '--signal=SIGKILL', unit]);
      // systemctl kill may do nothing for a unit that is already inactive: empty the cgroup ourselves.
      await emptyCgroup(String(undo.controlGroup));
      await run('systemctl', ['reset-failed', unit]);
      if (undo.wasActive) await startWithRetry(unit);
      return;
    }
    if (undo.wasActive) {
      const s = await show(unit, ['ActiveState']);
      if (s.ActiveState !== 'active') {
        await run('systemctl', ['reset-failed', unit]);
        await startWithRetry(unit);
      }
    }
  },
  async resume(undo) {
    if (undo.action === 'degrade') startDegrade(String(undo.id), String(undo.controlGroup));
  },
  async isActive(undo) {
    const unit = String(undo.unit);
    if (undo.action === 'restart') return existsSync(String(undo.dropin));
    const s = await show(unit, ['ActiveState', 'MainPID']);
    if (undo.action === 'stop') return s.ActiveState !== 'active';
    return s.ActiveState === 'active' && Number(s.MainPID) === Number(undo.mainPid);
  },
};
