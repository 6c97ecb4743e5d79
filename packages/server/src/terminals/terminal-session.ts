/**
 * One shell in a VM, shared: the person who opened it types into it, any number of
 * watchers see the same pty stream (fanned out), and a late joiner first gets the current
 * screen, serialised from a headless xterm fed the same bytes. An admin or instructor may
 * take the keyboard; everyone attached is told, and the hub audits it.
 */
import type { WebSocket } from 'ws';
import xtermHeadless from '@xterm/headless';
import serializeAddon from '@xterm/addon-serialize';
import type { SessionRecorder } from '../recordings/recorder.ts';
import type { Principal } from '../auth/tokens.ts';

const { Terminal } = xtermHeadless;
const { SerializeAddon } = serializeAddon;
const SCROLLBACK_LINES = 1000;

/** The shell side: an SSH channel in production, anything with the same surface in tests. */
export interface ShellStream {
  write(data: Buffer): void;
  resize(cols: number, rows: number): void;
  onData(fn: (d: Buffer) => void): void;
  onClose(fn: () => void): void;
  close(): void;
}

export interface Viewer {
  ws: WebSocket;
  principal: Principal;
  owner: boolean;
  /** The owner types; a watcher only after taking the keyboard. */
  canType: boolean;
}

export type Control =
  | { type: 'size'; cols: number; rows: number }
  | { type: 'notice'; message: string }
  | { type: 'keyboard'; holder: string | null; watchers: number; session: string };

export class TerminalSession {
  private readonly screen: InstanceType<typeof Terminal>;
  private readonly serializer: InstanceType<typeof SerializeAddon>;
  private readonly viewers = new Set<Viewer>();
  /** Watchers being brought up to date: live bytes are held for them until the screen is sent. */
  private readonly joining = new Map<Viewer, Buffer[]>();
  private keyboardHolder: Viewer | null = null;
  private ended = false;
  cols: number;
  rows: number;
  readonly startedAt = new Date().toISOString();

  constructor(
    readonly id: string,
    readonly vm: { name: string; index: number },
    readonly runId: string | null,
    readonly opener: Principal,
    private readonly shell: ShellStream,
    private readonly recorder: SessionRecorder | null,
    size: { cols: number; rows: number },
    private readonly onEnd: (s: TerminalSession) => void,
  ) {
    this.cols = size.cols;
    this.rows = size.rows;
    this.screen = new Terminal({ cols: size.cols, rows: size.rows, scrollback: SCROLLBACK_LINES, allowProposedApi: true });
    this.serializer = new SerializeAddon();
    this.screen.loadAddon(this.serializer);
    shell.onData((d) => this.output(d));
    shell.onClose(() => this.end('shell exited'));
  }

  get live(): boolean {
    return !this.ended;
  }

  get watcherCount(): number {
    return [...this.viewers, ...this.joining.keys()].filter((v) => !v.owner).length;
  }

  get holder(): string | null {
    return this.keyboardHolder ? this.keyboardHolder.principal.name : null;
  }

  /** Bytes shown to everyone (e.g. the "this session is recorded" banner), recorded too. */
  output(d: Buffer): void {
    this.recorder?.output(d);
    this.screen.write(d);
    for (const v of this.viewers) if (v.ws.readyState === v.ws.OPEN) v.ws.send(d, { binary: true });
    for (const held of this.joining.values()) held.push(d);
  }

  input(v: Viewer, d: Buffer): void {
    if (this.ended || !(v.canType || v === this.keyboardHolder)) return;
    this.recorder?.input(d);
    this.shell.write(d);
  }

  /** Only the opener sizes the pty (the holder of the keyboard too); watchers follow. */
  resize(v: Viewer, cols: number, rows: number): void {
    if (this.ended || !(v.owner || v === this.keyboardHolder) || (cols === this.cols && rows === this.rows)) return;
    this.cols = cols;
    this.rows = rows;
    this.shell.resize(cols, rows);
    this.screen.resize(cols, rows);
    this.recorder?.resize(cols, rows);
    this.broadcast({ type: 'size', cols, rows }, (x) => !x.owner);
  }

  /** Adds a viewer; a watcher first gets the current screen, then the live stream. */
  attach(v: Viewer): void {
    if (v.owner) {
      this.viewers.add(v);
      return;
    }
    this.joining.set(v, []);
    // The write callback runs once every byte written before it is on the screen.
    this.screen.write('', () => {
      const held = this.joining.get(v);
      this.joining.delete(v);
      if (!held || v.ws.readyState !== v.ws.OPEN) return;
      this.sendControl(v, { type: 'size', cols: this.cols, rows: this.rows });
      v.ws.send(Buffer.from(this.serializer.serialize()), { binary: true });
      for (const d of held) v.ws.send(d, { binary: true });
      this.viewers.add(v);
      this.announce();
    });
  }

  detach(v: Viewer): void {
    this.viewers.delete(v);
    this.joining.delete(v);
    if (v === this.keyboardHolder) this.release(v);
    else if (!v.owner) this.announce();
    if (v.owner && ![...this.viewers].some((x) => x.owner)) this.end('closed by its owner');
  }

  /** A watcher takes the keyboard (the hub checked the role and audits it). */
  take(v: Viewer): void {
    this.keyboardHolder = v;
    this.broadcast({ type: 'notice', message: `${v.principal.name} (${v.principal.role}) has taken the keyboard of this terminal` });
    this.announce();
  }

  release(v: Viewer): void {
    if (this.keyboardHolder !== v) return;
    this.keyboardHolder = null;
    this.broadcast({ type: 'notice', message: `${v.principal.name} gave the keyboard back` });
    this.announce();
  }

  /** Tells everyone attached who holds the keyboard and how many watch. */
  private announce(): void {
    this.broadcast({ type: 'keyboard', holder: this.holder, watchers: this.watcherCount, session: this.id });
  }

  sendControl(v: Viewer, c: Control): void {
    if (v.ws.readyState === v.ws.OPEN) v.ws.send(JSON.stringify(c));
  }

  private broadcast(c: Control, to: (v: Viewer) => boolean = () => true): void {
    for (const v of this.viewers) if (to(v)) this.sendControl(v, c);
  }

  end(why: string): void {
    if (this.ended) return;
    this.ended = true;
    this.shell.close();
    for (const v of [...this.viewers, ...this.joining.keys()]) if (v.ws.readyState === v.ws.OPEN) v.ws.close(1000, why);
    this.viewers.clear();
    this.joining.clear();
    this.screen.dispose();
    void this.recorder?.close();
    this.onEnd(this);
  }
}
