import { readFileSync, writeFileSync } from 'node:fs';
import { PuduError, type AgentDnsParams } from '@pudu/schema';
import type { FaultDriver, Undo } from './fault.ts';

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

/**
 * dns: makes `record` resolve to `resolve_to` through /etc/hosts. The line goes first in
 * the file because the resolver takes the first match, and nothing else in the file is
 * touched; revert removes exactly the line we added.
 */
export const dnsFault: FaultDriver<'dns'> = {
  type: 'dns',
  conflictKey: (p) => `dns:${p.record.toLowerCase()}`,
  async plan(_id, p: AgentDnsParams): Promise<Undo> {
    readHosts();
    return { file: HOSTS_FILE, line: `${p.resolve_to}\t${p.record}` };
  },
  async apply(_id, _p, undo) {
    const text = readHosts();
    writeHosts(`${String(undo.line)}\n${text}`);
    return { mechanism: 'hosts-file' };
  },
  async revert(undo) {
    const text = readHosts();
    const lines = text.split('\n');
    const i = lines.indexOf(String(undo.line));
    if (i < 0) return;
    lines.splice(i, 1);
    writeHosts(lines.join('\n'));
  },
  async isActive(undo) {
    return readHosts().split('\n').includes(String(undo.line));
  },
};
