import { readFileSync, writeFileSync } from 'node:fs';
import { PuduError, type AgentConfigParams } from '@pudu/schema';
import { unitOf } from '../services.ts';
import { run } from '../exec.ts';
import type { FaultDriver, Undo } from './fault.ts';
import { requireTools, requireWritable } from './verify.ts';

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new PuduError('FAULT_APPLY_FAILED', `params.path: cannot read ${path}: ${(e as Error).message}`);
  }
}

/** Restarts the unit so the file on disk is what it runs with; a failing start is the point, not an error. */
async function restart(unit: unknown): Promise<void> {
  if (typeof unit !== 'string' || !unit) return;
  await run('systemctl', ['reset-failed', unit]);
  await run('systemctl', ['restart', '--no-block', unit]);
}

/**
 * config: a bad config push. The first line matching `match` is replaced by `replace` (or
 * `replace` is appended when nothing matches), written in place like an editor would, and
 * `restart` is restarted so the service runs with it — and fails the way that service
 * fails on that mistake. Revert puts the original line back (only while ours is still
 * there) and restarts again. A trainee's fix is noticed when our line is gone.
 */
export const configFault: FaultDriver<'config'> = {
  type: 'config',
  conflictKey: (p) => `config:${p.path}`,
  async plan(_id, p: AgentConfigParams): Promise<Undo> {
    const lines = readText(p.path).split('\n');
    const re = new RegExp(p.match);
    const index = lines.findIndex((l) => re.test(l));
    const unit = p.restart ? unitOf(p.restart) : null;
    let wasActive = false;
    if (unit) {
      const r = await run('systemctl', ['show', unit, '--property=LoadState', '--property=ActiveState']);
      if (!r.stdout.includes('LoadState=loaded')) throw new PuduError('FAULT_INVALID', `params.restart: unit ${unit} is not installed in the VM`);
      wasActive = r.stdout.includes('ActiveState=active');
    }
    return { path: p.path, line: p.replace, original: index >= 0 ? lines[index] : null, index, unit, wasActive };
  },
  async verify(p: AgentConfigParams) {
    return [...requireWritable('config', p.path), ...(p.restart ? requireTools('config', ['systemctl']) : [])];
  },
  async apply(_id, _p, undo) {
    const lines = readText(String(undo.path)).split('\n');
    if (typeof undo.original === 'string') {
      const i = lines.indexOf(undo.original);
      lines.splice(i >= 0 ? i : Number(undo.index), 1, String(undo.line));
    } else {
      // Before a trailing empty line, so the file keeps ending in a newline.
      lines.splice(lines.at(-1) === '' ? lines.length - 1 : lines.length, 0, String(undo.line));
    }
    writeFileSync(String(undo.path), lines.join('\n'));
    await restart(undo.unit);
    return { mechanism: typeof undo.original === 'string' ? 'line-replaced' : 'line-appended' };
  },
  async revert(undo) {
    let text: string;
    try {
      text = readFileSync(String(undo.path), 'utf8');
    } catch {
      return;
    }
    const lines = text.split('\n');
    const i = lines.indexOf(String(undo.line));
    if (i < 0) return;
    if (typeof undo.original === 'string') lines.splice(i, 1, undo.original);
    else lines.splice(i, 1);
    writeFileSync(String(undo.path), lines.join('\n'));
    // A unit that was down before the fault stays down after it.
    if (undo.wasActive) await restart(undo.unit);
    else if (typeof undo.unit === 'string') await run('systemctl', ['stop', undo.unit]);
  },
  async isActive(undo) {
    try {
      return readFileSync(String(undo.path), 'utf8').split('\n').includes(String(undo.line));
    } catch {
      return false;
    }
  },
};
