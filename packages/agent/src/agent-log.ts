/**
 * The agent's log. Nothing about faults may reach the guest's journal (a trainee reads it:
 * fault ids, types and mechanisms would give the incident away), so entries go to a ring
 * the server reads over the authenticated channel (`GET /log`). Only startup failures and
 * lines an operator needs without a server (`--log-stderr`) are written to stderr.
 */
const RING_SIZE = 2000;

export interface AgentLogEntry {
  seq: number;
  time: string;
  msg: string;
  fields: Record<string, unknown>;
}

export class AgentLog {
  private readonly ring: AgentLogEntry[] = [];
  private seq = 0;

  constructor(private readonly toStderr = false) {}

  readonly write = (msg: string, fields: Record<string, unknown> = {}): void => {
    const e: AgentLogEntry = { seq: ++this.seq, time: new Date().toISOString(), msg, fields };
    this.ring.push(e);
    if (this.ring.length > RING_SIZE) this.ring.shift();
    if (this.toStderr) process.stderr.write(`${JSON.stringify({ time: e.time, msg, ...fields })}\n`);
  };

  /** Entries after `since` (a seq), oldest first, and the seq to ask from next time. */
  since(since: number): { entries: AgentLogEntry[]; next: number } {
    return { entries: this.ring.filter((e) => e.seq > since), next: this.seq };
  }
}
