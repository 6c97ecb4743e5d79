/**
 * A byte stream into a Pod through the API server's `exec` subresource, carried by the
 * official client's WebSocket (`v5.channel.k8s.io`, else `v4`): stdin is channel 0,
 * stdout 1, stderr 2, the command's end (a `Status`) 3, terminal size 4. The server
 * never opens a connection to a Pod IP: the API server authenticates us (RBAC
 * `pods/exec`), names the Pod exactly, and works under Kata, where port-forward does not.
 *
 * `ExecStream` looks enough like a net.Socket for node:http's `createConnection`, so an
 * HTTP exchange (the agent's signed channel, an http check) runs over a relay in the Pod.
 */
import { Duplex, PassThrough, Writable } from 'node:stream';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';
import { PuduError } from '@pudu/schema';

export interface ExecTarget {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  /** A terminal of this size (stderr then comes on stdout, as with kubectl -t). */
  tty?: { cols: number; rows: number };
}

/** Bytes of the command's stderr kept to explain a failure. */
const STDERR_KEEP = 2048;
const DEFAULT_OPEN_TIMEOUT_MS = 10_000;

/** What the client-node WebSocket handler hands back (the `ws` package's WebSocket). */
interface ExecSocket {
  protocol: string;
  readyState: number;
  close(code?: number): void;
  terminate?(): void;
  on(ev: 'close', fn: (code: number, reason: Buffer) => void): void;
  on(ev: 'error', fn: (e: Error) => void): void;
}

/** The Status on channel 3 as an error, or null when the command succeeded. */
export function statusError(status: V1Status | undefined, stderr: string, what: string): PuduError | null {
  if (!status || status.status === 'Success') return null;
  const code = status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
  const tail = stderr.trim().split('\n').slice(-3).join(' | ');
  const why = status.reason === 'NonZeroExitCode' ? `exit code ${code ?? '?'}` : (status.message ?? status.reason ?? 'failed');
  return new PuduError('AGENT_UNREACHABLE', `kubernetes exec ${what}: ${why}${tail ? ` (${tail})` : ''}`);
}

/** A socket-shaped duplex over one exec: writes go to the command's stdin, its stdout comes back. */
export class ExecStream extends Duplex {
  readonly stdin = new PassThrough();
  private ws: ExecSocket | undefined;
  private stderr = '';
  private timer: NodeJS.Timeout | undefined;
  private idleMs = 0;
  /** Set once the command's Status arrived (undefined: the socket closed without one). */
  status: V1Status | undefined;

  constructor(private readonly what: string) {
    super({ allowHalfOpen: true });
  }

  /** Where the command's stdout goes (this duplex's readable side). */
  readonly stdout = new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      this.touch();
      this.push(chunk);
      cb();
    },
    // The library ends stdout just before it hands over the Status (same tick): decide after it.
    final: (cb) => {
      process.nextTick(() => {
        const err = statusError(this.status, this.stderr, this.what);
        if (err) this.destroy(err);
        else this.push(null);
        cb();
      });
    },
  });

  readonly stderrSink = new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
      cb();
    },
  });

  attach(ws: ExecSocket): void {
    this.ws = ws;
    ws.on('error', (e) => this.destroy(new PuduError('AGENT_UNREACHABLE', `kubernetes exec ${this.what}: ${e.message}`)));
    ws.on('close', () => {
      const err = statusError(this.status, this.stderr, this.what);
      if (err) this.destroy(err);
      // Closed without a Status (the API server or kubelet went away): whatever came is all there is.
      else if (!this.stdout.writableEnded) this.stdout.end();
    });
  }

  onStatus(s: V1Status): void {
    this.status = s;
  }

  /** A new terminal size, sent on the resize channel (tty streams only). */
  resize(cols: number, rows: number): void {
    Object.assign(this.stdout, { columns: cols, rows });
    this.stdout.emit('resize');
  }

  override _read(): void {
    /* pushed as stdout arrives */
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.touch();
    this.stdin.write(chunk, cb);
  }

  /** End of our side: with v5 the command's stdin is closed alone; v4 has no half-close, so the stream stays until the command ends. */
  override _final(cb: (e?: Error | null) => void): void {
    if (this.ws?.protocol === 'v5.channel.k8s.io') this.stdin.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    clearTimeout(this.timer);
    this.stdin.destroy();
    try {
      this.ws?.close();
    } catch {
      this.ws?.terminate?.();
    }
    cb(err);
  }

  // What node:http asks of a socket.
  setTimeout(ms: number, fn?: () => void): this {
    this.idleMs = ms;
    if (fn) this.once('timeout', fn);
    this.touch();
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  private touch(): void {
    clearTimeout(this.timer);
    if (this.idleMs > 0) this.timer = setTimeout(() => this.emit('timeout'), this.idleMs);
  }
}

/**
 * Starts `command` in the Pod's container and resolves with its stdin/stdout as one
 * stream once the WebSocket is open. A command that fails ends the stream with an error
 * naming its exit code and the last lines of its stderr.
 */
export async function openExecStream(kc: KubeConfig, t: ExecTarget, o: { openTimeoutMs?: number } = {}): Promise<ExecStream> {
  const what = `${t.namespace}/${t.pod}: ${t.command.join(' ')}`;
  const stream = new ExecStream(what);
  const exec = new Exec(kc);
  let timer: NodeJS.Timeout | undefined;
  const timeoutMs = o.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS;
  // The client sends terminal sizes for an stdout that has columns and rows (as a TTY has).
  if (t.tty) Object.assign(stream.stdout, { columns: t.tty.cols, rows: t.tty.rows });
  const opened = exec.exec(t.namespace, t.pod, t.container, t.command, stream.stdout, t.tty ? null : stream.stderrSink, stream.stdin, !!t.tty, (s) => stream.onStatus(s));
  const ws = await Promise.race([
    opened,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PuduError('AGENT_UNREACHABLE', `kubernetes exec ${what}: not open after ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).catch((e: unknown) => {
    // A socket that opens after we gave up must not linger.
    void opened.then((late) => (late as unknown as ExecSocket).close(), () => undefined);
    throw wsError(e, what);
  }).finally(() => clearTimeout(timer));
  stream.attach(ws as unknown as ExecSocket);
  return stream;
}

/** The handshake's refusal as the API server said it (status and body), not the ws library's event object. */
function wsError(e: unknown, what: string): PuduError {
  if (e instanceof PuduError) return e;
  const ev = e as { message?: string; error?: Error };
  const msg = ev.error?.message ?? ev.message ?? String(e);
  const status = /Unexpected server response: (\d+)/.exec(msg)?.[1];
  const code = status === '403' || status === '401' ? 'FORBIDDEN' : status === '404' ? 'VM_NOT_FOUND' : 'AGENT_UNREACHABLE';
  return new PuduError(code, `kubernetes exec ${what}: ${msg}`);
}
