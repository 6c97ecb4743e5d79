/**
 * `POST /history` and the records that wait for a fault (agent-protocol.ts): writes the VM's
 * past once, keeps each fault's lines until just before that fault is first applied (on a
 * full disk afterwards they could not be written), and survives an agent restart.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { seededRandom } from '@pudu/engine';
import { AgentHistoryRequestSchema, PuduError, type AgentHistoryResponse } from '@pudu/schema';
import { BACKDATED_TREES, backdate, changedSince } from './backdate.ts';
import { readVmClock, type VmClock } from './clock.ts';
import { SHELL_HISTORY, earlierDeploys, pastSessions, type DatedLine } from './records.ts';
import { postgresLogs, webLogs } from './service-logs.ts';
import { renderLine } from './time-format.ts';
import { UT, writeLastlog, writeLoginRecords } from './utmp.ts';
import { appendLine, prependHistory, setTimes, writeDated } from './write.ts';

const DAY = 86_400_000;
/** A neutral name (the guest's files must not name the fault machinery); fault ids are kept hashed. */
const STATE_FILE = 'records.db';
const WANTS_DIR = '/etc/systemd/system/multi-user.target.wants';
/** Directories that get new files (deploy log, login records, shell history) whose own mtime must not say "just now". */
const TOUCHED_DIRS = ['/var/log', '/root'] as const;

function mtimeOf(p: string): number | undefined {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return undefined;
  }
}

interface State {
  written: boolean;
  boot: number;
  pending: Record<string, { file: string; line: string }[]>;
}

const hashId = (id: string): string => createHash('sha256').update(id).digest('hex');

/** Services this VM starts at boot (the units its setup enabled). */
function enabledServices(): Set<string> {
  try {
    return new Set(readdirSync(WANTS_DIR).map((f) => f.replace(/\.service$/, '')));
  } catch {
    return new Set();
  }
}

/** The default gateway (/proc/net/route, little-endian hex): where the VM's users and admins come from. */
export function defaultGateway(routes = readFileSync('/proc/net/route', 'utf8')): string | undefined {
  for (const l of routes.split('\n').slice(1)) {
    const f = l.trim().split(/\s+/);
    if (f[1] === '00000000' && f[2] && f[2] !== '00000000') {
      const n = parseInt(f[2], 16);
      return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
    }
  }
  return undefined;
}

/** Writes each file's dated lines in time order in front of what it holds. */
function writeDatedLines(lines: DatedLine[]): string[] {
  const byFile = new Map<string, DatedLine[]>();
  for (const l of lines) byFile.set(l.file, [...(byFile.get(l.file) ?? []), l]);
  for (const [file, ls] of byFile) {
    ls.sort((a, b) => a.t - b.t);
    prependHistory(file, ls.map((l) => `${l.line}\n`).join(''), ls.at(-1)!.t);
  }
  return [...byFile.keys()];
}

export class HistoryKeeper {
  private readonly path: string;
  private state: State = { written: false, boot: 0, pending: {} };

  constructor(stateDir: string, private readonly log: (msg: string, fields?: Record<string, unknown>) => void) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    this.path = join(stateDir, STATE_FILE);
    if (existsSync(this.path)) {
      try {
        this.state = JSON.parse(inflateRawSync(readFileSync(this.path)).toString('utf8')) as State;
      } catch {
        this.log('history state unreadable; starting without it');
      }
    }
  }

  private save(): void {
    try {
      writeFileSync(this.path, deflateRawSync(JSON.stringify(this.state)), { mode: 0o600 });
    } catch (e) {
      this.log('cannot save history state', { error: (e as Error).message });
    }
  }

  pendingFaults(): number {
    return Object.keys(this.state.pending).length;
  }

  write(body: unknown): AgentHistoryResponse {
    const parsed = AgentHistoryRequestSchema.safeParse(body);
    if (!parsed.success) throw new PuduError('BAD_REQUEST', `history: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
    const req = parsed.data;
    if (this.state.written) return { written: false, boot_time: new Date(this.state.boot).toISOString(), files: [], pending_faults: this.pendingFaults() };
    const clock = readVmClock();
    const files = new Set<string>();
    const random = seededRandom(req.seed);
    if (req.defaults) {
      const provisioned = clock.boot - (2 + random() * 12) * DAY;
      for (const tree of BACKDATED_TREES) backdate(changedSince(tree, clock.boot - 3_600_000), provisioned);
    }
    // Writing creates files in these directories now; they keep the time they had (set below).
    const dirTimes = new Map([...TOUCHED_DIRS].map((d) => [d, mtimeOf(d)]));
    const dated: DatedLine[] = req.records.map((r) => ({ file: r.file, t: clock.now - r.ago_ms, line: renderLine(r.line, clock.now - r.ago_ms) }));
    let shell = req.shell;
    let shellAt = clock.started;
    if (req.defaults) {
      const d = this.defaults(clock, random, req.shell);
      dated.push(...d.lines);
      shell = d.shell;
      shellAt = d.lastLogout;
      for (const f of d.files) files.add(f);
    }
    for (const f of writeDatedLines(dated)) files.add(f);
    if (shell.length > 0) {
      writeDated(SHELL_HISTORY, `${shell.join('\n')}\n`, { uid: 0, gid: 0, mode: 0o600 }, shellAt);
      files.add(SHELL_HISTORY);
    }
    for (const [d, t] of dirTimes) if (t !== undefined && !files.has(d)) setTimes(d, Math.min(t, clock.started));
    for (const [id, lines] of Object.entries(req.on_fault)) this.state.pending[hashId(id)] = lines;
    this.state.written = true;
    this.state.boot = clock.boot;
    this.save();
    this.log('history written', { files: files.size, pending: this.pendingFaults() });
    return { written: true, boot_time: new Date(clock.boot).toISOString(), files: [...files], pending_faults: this.pendingFaults() };
  }

  /** Pudu's ordinary logs and records (after the setup files were dated back); returns the dated lines still to write and what it wrote. */
  private defaults(clock: VmClock, random: () => number, extraShell: string[]): { lines: DatedLine[]; files: string[]; shell: string[]; lastLogout: number } {
    const services = enabledServices();
    const client = defaultGateway() ?? '10.0.0.1';
    const files: string[] = [];
    const ctx = { clock, random, client };
    files.push(...webLogs(ctx, { nginx: services.has('nginx'), app: services.has('app-server') }));
    if (services.has('postgresql')) files.push(...postgresLogs(ctx));
    const deploys = earlierDeploys(clock, services, random);
    for (const f of deploys.files) setTimes(f.path, f.t);
    const past = pastSessions(clock, services, client, random, extraShell);
    // The boot before this one: weeks earlier, in a night's maintenance window.
    const earlierBoot = Math.floor((clock.boot - (30 + random() * 60) * DAY) / DAY) * DAY + (1 + random() * 3) * 3_600_000;
    files.push(...writeLoginRecords(past.sessions, clock, undefined, earlierBoot));
    const lastLogin = past.sessions.filter((e) => e.type === UT.USER_PROCESS).at(-1);
    if (lastLogin) files.push(writeLastlog(lastLogin));
    return { lines: deploys.lines, files, shell: past.shell, lastLogout: past.lastLogout };
  }

  /** Called just before a fault is applied: its records are written now, once. */
  beforeApply(id: string): void {
    const key = hashId(id);
    const lines = this.state.pending[key];
    if (!lines) return;
    const now = Date.now();
    for (const l of lines) {
      try {
        appendLine(l.file, renderLine(l.line, now), now);
      } catch (e) {
        this.log('cannot write a history record', { file: l.file, error: (e as Error).message });
      }
    }
    delete this.state.pending[key];
    this.save();
  }
}

