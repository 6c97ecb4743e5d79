import { readFileSync, writeFileSync } from 'node:fs';
import { PuduError, type AgentDnsParams } from '@pudu/schema';
import type { FaultDriver, Undo } from './fault.ts';
import { requireWritable } from './verify.ts';

const HOSTS_FILE = process.env.PUDU_AGENT_HOSTS_FILE ?? '/etc/hosts';

function readHosts(): string {
  try {
    return readFileSync(HOSTS_FILE, 'utf8');
  } catch (e) {
    throw new PuduError('FAULT_APPLY_FAILED', `cannot read ${HOSTS_FILE}: ${(e as Error).message}`);
  }
}

/**
 * Writes in place (truncate + write) instead of rename: /etc/hosts is often a bind mount
 * (containers), where renaming over it fails.
 */
function writeHosts(text: string): void {
  writeFileSync(HOSTS_FILE, text);
}

/** True when the hosts line maps `name` (as its canonical name or an alias). */
function mapsName(line: string, name: string): boolean {
  const body = line.split('#')[0]!.trim();
  if (!body) return false;
  const [, ...names] = body.split(/\s+/);
  return names.some((n) => n.toLowerCase() === name.toLowerCase());
}

/**
 * dns: makes `record` resolve to `resolve_to` through /etc/hosts, as a bad config push
 * would: the name's existing lines are taken out and ours goes first. Adding a line alone
 * is not enough: the resolver returns every matching line and clients (Node's happy
 * eyeballs among them) fall through to the real address. Revert removes exactly our line
 * and puts back the lines it took out (also after a trainee deleted ours).
 */
export const dnsFault: FaultDriver<'dns'> = {
  type: 'dns',
  conflictKey: (p) => `dns:${p.record.toLowerCase()}`,
  async plan(_id, p: AgentDnsParams): Promise<Undo> {
    const shadowed = readHosts().split('\n').filter((l) => mapsName(l, p.record));
    return { file: HOSTS_FILE, line: `${p.resolve_to}\t${p.record}`, shadowed };
  },
  async verify() {
    return requireWritable('dns', HOSTS_FILE);
  },
  async apply(_id, _p, undo) {
    const shadowed = new Set((undo.shadowed as string[] | undefined) ?? []);
    const kept = readHosts().split('\n').filter((l) => !shadowed.has(l));
    writeHosts([String(undo.line), ...kept].join('\n'));
    return { mechanism: 'hosts-file' };
  },
  async revert(undo) {
    const lines = readHosts().split('\n');
    const i = lines.indexOf(String(undo.line));
    if (i >= 0) lines.splice(i, 1);
    const missing = ((undo.shadowed as string[] | undefined) ?? []).filter((l) => !lines.includes(l));
    if (i < 0 && missing.length === 0) return;
    // Before a trailing empty line, so the file keeps ending in a newline.
    const at = lines.length > 0 && lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
    lines.splice(at, 0, ...missing);
    writeHosts(lines.join('\n'));
  },
  async isActive(undo) {
    return readHosts().split('\n').includes(String(undo.line));
  },
};
