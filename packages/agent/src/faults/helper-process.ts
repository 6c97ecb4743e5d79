import { copyFileSync, mkdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { PuduError } from '@pudu/schema';
import { run } from '../exec.ts';
import { helperTools } from './verify.ts';

/**
 * Helpers (CPU burner, memory leaker, idle database client) run as systemd units of their
 * own, the way such a process really lives on a server: parent PID 1, a unit and cgroup with
 * a plausible name and description, the code in a file under /usr/local/lib/<name>/. Never a
 * child of the agent, and nothing in the command line, environment or unit names Pudu or the
 * fault. The unit's name and main PID identify it for revert and for noticing a fix.
 */
export interface HelperUnit {
  /** e.g. `report-generator` → report-generator.service, /usr/local/lib/report-generator/index.js */
  name: string;
  description: string;
  /** Node code (run by the agent's node), or a native program to install and run instead. */
  script?: string;
  binary?: string;
  args: string[];
  nodeArgs?: string[];
  /** Extra unit properties (`-p`), e.g. OOMScoreAdjust=-500. */
  properties?: string[];
}

const HELPER_LIB_DIR = process.env.PUDU_AGENT_HELPER_DIR ?? '/usr/local/lib';
const MAIN_PID_WAIT_MS = 5000;

function unitOf(name: string): string {
  return `${name}.service`;
}

function installDir(name: string): string {
  return `${HELPER_LIB_DIR}/${name}`;
}

async function mainPid(unit: string): Promise<number> {
  const r = await run('systemctl', ['show', unit, '--property=MainPID', '--value']);
  return Number(r.stdout.trim()) || 0;
}

/**
 * Installs the helper's code (dated like the node binary beside it, not "seconds ago") and
 * starts it with systemd-run; resolves with its main PID.
 */
export async function startHelperUnit(h: HelperUnit): Promise<number> {
  const unit = unitOf(h.name);
  const dir = installDir(h.name);
  const file = h.binary ? `${dir}/${h.name}` : `${dir}/index.js`;
  mkdirSync(dir, { recursive: true });
  if (h.binary) copyFileSync(h.binary, file);
  else writeFileSync(file, h.script ?? '', { mode: 0o644 });
  try {
    const t = statSync(h.binary ?? process.execPath).mtime;
    utimesSync(file, t, t);
    utimesSync(dir, t, t);
  } catch {
    /* dates are cosmetic */
  }
  // A unit left by an agent that lost its journal would block the name: it is ours, stop it.
  await run('systemctl', ['stop', unit]);
  await run('systemctl', ['reset-failed', unit]);
  const props = (h.properties ?? []).flatMap((p) => ['-p', p]);
  const r = await run('systemd-run', ['--quiet', '--collect', `--unit=${unit}`, `--description=${h.description}`, ...props, '--', ...(h.binary ? [file] : [process.execPath, ...(h.nodeArgs ?? []), file]), ...h.args]);
  if (r.code !== 0) throw new PuduError('FAULT_APPLY_FAILED', `systemd-run ${unit}: ${r.stderr.trim()}`);
  const deadline = Date.now() + MAIN_PID_WAIT_MS;
  for (;;) {
    const pid = await mainPid(unit);
    if (pid > 0) return pid;
    if (Date.now() > deadline) throw new PuduError('FAULT_APPLY_FAILED', `${unit} started but has no main process`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** Stops the helper's unit (idempotent) and removes its code. */
export async function stopHelperUnit(name: unknown): Promise<void> {
  if (typeof name !== 'string' || !/^[a-z0-9-]{1,64}$/.test(name)) return;
  await run('systemctl', ['stop', unitOf(name)]);
  await run('systemctl', ['reset-failed', unitOf(name)]);
  rmSync(installDir(name), { recursive: true, force: true });
}

/** True while the unit still runs the process we started (a trainee killing it, or stopping the unit, is a fix). */
export async function isHelperUnitAlive(name: unknown, pid: unknown): Promise<boolean> {
  if (typeof name !== 'string' || typeof pid !== 'number') return false;
  return (await mainPid(unitOf(name))) === pid;
}

/**
 * plan/revert/isActive of a fault that is one helper unit: the undo record holds its name
 * and main PID, revert stops the unit, and the fault holds while that process runs.
 */
export function helperLifecycle(name: string) {
  return {
    plan: async (): Promise<Record<string, unknown>> => ({ unit: name, pid: null }),
    verify: async (): Promise<string[]> => helperTools(name),
    revert: async (undo: Record<string, unknown>): Promise<void> => stopHelperUnit(undo.unit),
    isActive: async (undo: Record<string, unknown>): Promise<boolean> => isHelperUnitAlive(undo.unit, undo.pid),
  };
}
