/**
 * Live terminal sessions by id, and the WebSocket side of each: the opener's socket types,
 * watchers attach to an existing session (the trainee's own screen), an admin or
 * instructor may take the keyboard (the trainee sees it; it is audited and on the run's
 * timeline). Sessions of a run are recorded.
 */
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import { PuduError, TerminalControlSchema } from '@pudu/schema';
import { z } from 'zod';
import type { Principal } from '../auth/tokens.ts';
import type { Store } from '../store/store.ts';
import type { EventBus } from '../runner/event-bus.ts';
import type { Recordings } from '../recordings/recorder.ts';
import { TerminalSession, type ShellStream, type Viewer } from './terminal-session.ts';

/** Shown at the top of every recorded session (trainees are told on sign-in too). */
export const RECORDED_BANNER = '\x1b[33m[pudu] This terminal session is recorded (input and output) for the run\'s replay and post-mortem.\x1b[0m\r\n';

const KeyboardControlSchema = z.object({ type: z.enum(['take-keyboard', 'release-keyboard']) });
const KEYBOARD_ROLES = new Set(['admin', 'instructor']);

export interface OpenSessionInput {
  shell: ShellStream;
  vm: { name: string; index: number };
  runId: string | null;
  principal: Principal;
  cols: number;
  rows: number;
}

/** What a terminal prints when its run ends (and how long the review keeps it open). */
export function endBanner(kind: string, data: Record<string, unknown>): string | null {
  const line = (color: string, text: string): string => `\r\n\x1b[${color}m[pudu] ${text}\x1b[0m\r\n`;
  if (kind === 'run.resolved') {
    const until = typeof data.reviewUntilMs === 'number' ? new Date(data.reviewUntilMs).toISOString().slice(11, 16) : null;
    const question = typeof data.rootCauseQuestion === 'string' ? ` Root-cause question: ${data.rootCauseQuestion} (puduc scenario status shows it)` : '';
    return line('1;32', `resolved — score ${String(data.score)}.${until ? ` This terminal stays open for review until ${until} UTC (puduc scenario done ends it).` : ''}${question}`);
  }
  if (kind === 'review.ended') return line('33', 'review over: the fleet is being destroyed');
  if (kind === 'run.expired' || kind === 'run.failed' || kind === 'run.aborted') return line('1;31', `${kind.slice(4)}${typeof data.error === 'string' ? `: ${data.error}` : ''}`);
  return null;
}

export class TerminalHub {
  private readonly sessions = new Map<string, TerminalSession>();
  /** Watchers who dropped in before anyone opened a terminal on that VM index. */
  private readonly waiting = new Map<number, Set<{ ws: WebSocket; principal: Principal }>>();

  constructor(private readonly deps: { store: Store; bus: EventBus; recordings: Recordings; log: (m: string) => void }) {}

  /** Starts a shared session for its opener (recorded when it belongs to a run). */
  async open(ws: WebSocket, o: OpenSessionInput): Promise<TerminalSession> {
    const id = `s${randomBytes(5).toString('hex')}`;
    const who = `${o.principal.name} (${o.principal.id})`;
    const recorder = o.runId
      ? await this.deps.recordings.start({ id, runId: o.runId, vm: o.vm.name, openedBy: who, role: o.principal.role, cols: o.cols, rows: o.rows, title: `${o.vm.name} — run ${o.runId} — ${o.principal.name}` })
        .catch((e: unknown) => {
          this.deps.log(`recording ${id}: cannot start: ${String(e)}`);
          return null;
        })
      : null;
    // The run's end is told in the terminal itself; with a review the fleet (and the shell) stays.
    const unsubscribe = o.runId ? this.deps.bus.subscribe(o.runId, (ev) => {
      const text = endBanner(ev.kind, ev.data);
      if (text) session.output(Buffer.from(text));
    }) : () => undefined;
    const session = new TerminalSession(id, o.vm, o.runId, o.principal, o.shell, recorder, { cols: o.cols, rows: o.rows }, (s) => {
      unsubscribe();
      this.sessions.delete(s.id);
      if (s.runId) void this.deps.bus.publish(s.runId, 'terminal.closed', { session: s.id, vm: s.vm.name }).catch(() => undefined);
    });
    this.sessions.set(id, session);
    const owner: Viewer = { ws, principal: o.principal, owner: true, canType: true };
    session.attach(owner);
    this.wire(session, owner);
    session.sendControl(owner, { type: 'keyboard', holder: null, watchers: 0, session: id });
    if (recorder) session.output(Buffer.from(RECORDED_BANNER));
    const waiters = this.waiting.get(o.vm.index);
    this.waiting.delete(o.vm.index);
    for (const w of waiters ?? []) if (w.ws.readyState === w.ws.OPEN) this.watch(w.ws, session, w.principal);
    if (o.runId) await this.deps.bus.publish(o.runId, 'terminal.opened', { session: id, vm: o.vm.name, by: o.principal.name, role: o.principal.role, recorded: !!recorder });
    return session;
  }

  /**
   * The session a watcher of VM `vmIndex` should see: the given one, else the newest live
   * session a trainee opened there, else the newest of anyone's.
   */
  find(vmIndex: number, sessionId: string | null): TerminalSession | null {
    if (sessionId) {
      const s = this.sessions.get(sessionId);
      if (!s || s.vm.index !== vmIndex) throw new PuduError('NOT_FOUND', `no live terminal session ${sessionId} on VM ${vmIndex}`);
      return s;
    }
    const onVm = [...this.sessions.values()].filter((s) => s.vm.index === vmIndex && s.live);
    const pick = onVm.filter((s) => s.opener.role === 'trainee').at(-1) ?? onVm.at(-1);
    return pick ?? null;
  }

  /** Keeps a watcher's socket open until someone opens a terminal on that VM. */
  wait(ws: WebSocket, vm: { name: string; index: number }, principal: Principal): void {
    const set = this.waiting.get(vm.index) ?? new Set();
    const w = { ws, principal };
    set.add(w);
    this.waiting.set(vm.index, set);
    ws.send(JSON.stringify({ type: 'notice', message: `nobody has a terminal open on ${vm.name} yet: you will see it as soon as someone does` }));
    ws.on('close', () => set.delete(w));
  }

  /** Live sessions of a run (the instructor's board links to them). */
  listLive(runId: string): { id: string; vm: string; vmIndex: number; openedBy: string; role: string; watchers: number; keyboard: string | null; startedAt: string }[] {
    return [...this.sessions.values()].filter((s) => s.runId === runId && s.live).map((s) => ({
      id: s.id, vm: s.vm.name, vmIndex: s.vm.index, openedBy: s.opener.name, role: s.opener.role, watchers: s.watcherCount, keyboard: s.holder, startedAt: s.startedAt,
    }));
  }

  /** Attaches a watcher (read-only until it takes the keyboard). */
  watch(ws: WebSocket, session: TerminalSession, principal: Principal): void {
    const v: Viewer = { ws, principal, owner: false, canType: false };
    session.attach(v);
    this.wire(session, v);
    if (session.runId) void this.deps.bus.publish(session.runId, 'terminal.watched', { session: session.id, vm: session.vm.name, by: principal.name, role: principal.role }).catch(() => undefined);
  }

  private wire(session: TerminalSession, v: Viewer): void {
    v.ws.on('message', (data, isBinary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary) return session.input(v, buf);
      let msg: unknown;
      try {
        msg = JSON.parse(buf.toString('utf8'));
      } catch {
        return;
      }
      const resize = TerminalControlSchema.safeParse(msg);
      if (resize.success) return session.resize(v, resize.data.cols, resize.data.rows);
      const kb = KeyboardControlSchema.safeParse(msg);
      if (kb.success && !v.owner) void this.keyboard(session, v, kb.data.type === 'take-keyboard');
    });
    v.ws.on('close', () => session.detach(v));
  }

  private async keyboard(session: TerminalSession, v: Viewer, take: boolean): Promise<void> {
    const allowed = KEYBOARD_ROLES.has(v.principal.role);
    await this.deps.store.appendAudit({
      actor: `${v.principal.name} (${v.principal.id})`, role: v.principal.role, action: take ? 'terminal.take-keyboard' : 'terminal.release-keyboard',
      target: `session ${session.id} on ${session.vm.name}${session.runId ? ` of run ${session.runId}` : ''}`,
      result: allowed ? 'ok' : 'denied', detail: allowed ? `opened by ${session.opener.name}` : `role ${v.principal.role} may only watch`,
    }).catch((e: unknown) => this.deps.log(`audit write failed: ${String(e)}`));
    if (!allowed) {
      session.sendControl(v, { type: 'notice', message: `role ${v.principal.role} may only watch this terminal` });
      return;
    }
    if (take) session.take(v);
    else session.release(v);
    if (session.runId) await this.deps.bus.publish(session.runId, take ? 'terminal.keyboard-taken' : 'terminal.keyboard-released', { session: session.id, vm: session.vm.name, by: v.principal.name, role: v.principal.role }).catch(() => undefined);
  }

  closeAll(): void {
    for (const set of this.waiting.values()) for (const w of set) w.ws.close(1001, 'server shutting down');
    this.waiting.clear();
    for (const s of [...this.sessions.values()]) s.end('server shutting down');
  }
}
