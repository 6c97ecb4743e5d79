/**
 * The stand-in's `pods/exec` over WebSocket, strict where the real API server and kubelet
 * are (k8s.io/apimachinery wsstream + kubelet remotecommand):
 * - GET with `Upgrade: websocket` on /api/v1/namespaces/NS/pods/NAME/exec, bearer token;
 * - query: one or more `command`, `container` naming a container of the Pod (may be left
 *   out when there is one), booleans stdin/stdout/stderr/tty, at least one stream; with a
 *   tty, stderr is dropped (as the kubelet does);
 * - subprotocols: `v5.channel.k8s.io` or `v4.channel.k8s.io` must be offered (others refused);
 * - frames: binary, first byte the channel — client→server 0 stdin, 4 resize (JSON
 *   `{"Width","Height"}`, keys matched case-insensitively as Go does), and with v5 only
 *   255+0 closes stdin; server→client an empty frame on the lowest output channel first,
 *   then 1 stdout, 2 stderr, and 3 a `Status` when the command ends, then close.
 * Anything else is recorded as a protocol error (tests assert there is none).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex, Readable, Writable } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const CLOSE = 255;

/** A command started in a Pod by the stand-in's kubelet. */
export interface ExecProcess {
  stdin: Writable;
  stdout: Readable;
  /** Absent with a tty (its output is on stdout). */
  stderr?: Readable;
  resize(cols: number, rows: number): void;
  /** Exit code, or an error the runtime gave (command not found…). */
  exit: Promise<{ code: number } | { error: string }>;
  kill(): void;
}

export interface ExecRequest {
  pod: string;
  namespace: string;
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface ExecRecord { request: ExecRequest; protocol: string; resizes: { cols: number; rows: number }[]; status?: unknown }

export class ExecRefusal extends Error {
  constructor(readonly code: number, readonly reason: string, message: string) {
    super(message);
  }
}

const BOOL = /^(1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$/;

function bool(q: URLSearchParams, k: string): boolean {
  const v = q.get(k);
  if (v === null) return false;
  // strconv.ParseBool, as the query conversion into PodExecOptions uses.
  if (!BOOL.test(v)) throw new ExecRefusal(400, 'BadRequest', `${k}: strconv.ParseBool: parsing "${v}": invalid syntax`);
  return /^(1|t|T|TRUE|true|True)$/.test(v);
}

/** Parses and checks an exec request's query against the Pod's containers. */
export function parseExecQuery(q: URLSearchParams, pod: { name: string; namespace: string; containers: string[] }): ExecRequest {
  const command = q.getAll('command');
  if (command.length === 0) throw new ExecRefusal(400, 'BadRequest', 'you must specify at least one command for the container');
  let container = q.get('container') ?? '';
  if (!container) {
    if (pod.containers.length !== 1) throw new ExecRefusal(400, 'BadRequest', `a container name must be specified for pod ${pod.name}, choose one of: [${pod.containers.join(' ')}]`);
    container = pod.containers[0]!;
  }
  if (!pod.containers.includes(container)) throw new ExecRefusal(400, 'BadRequest', `container ${container} is not valid for pod ${pod.name}`);
  const r: ExecRequest = { pod: pod.name, namespace: pod.namespace, container, command, stdin: bool(q, 'stdin'), stdout: bool(q, 'stdout'), stderr: bool(q, 'stderr'), tty: bool(q, 'tty') };
  if (!r.stdin && !r.stdout && !r.stderr) throw new ExecRefusal(400, 'BadRequest', 'you must specify at least 1 of stdin, stdout, stderr');
  if (r.tty && r.stderr) r.stderr = false;
  return r;
}

/** Picks the subprotocol the way the API server does, or refuses. */
export function pickProtocol(header: string | undefined, supported: readonly string[] = EXEC_PROTOCOLS): string {
  const offered = String(header ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const chosen = offered.find((p) => supported.includes(p));
  if (!chosen) throw new ExecRefusal(400, 'BadRequest', `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${supported.join(' ')}]`);
  return chosen;
}

function statusOf(exit: { code: number } | { error: string }): Record<string, unknown> {
  if ('error' in exit) return { metadata: {}, status: 'Failure', message: exit.error, reason: 'InternalError', code: 500 };
  if (exit.code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {}, status: 'Failure', message: `command terminated with non-zero exit code: exit status ${exit.code}`, reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exit.code) }] },
  };
}

/** Size from a resize frame: Go's encoding/json into {Width, Height uint16}. */
function parseResize(data: Buffer): { cols: number; rows: number } {
  const o = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
  const get = (k: string): unknown => Object.entries(o).find(([key]) => key.toLowerCase() === k)?.[1];
  const w = get('width');
  const h = get('height');
  if (!Number.isInteger(w) || !Number.isInteger(h) || (w as number) < 0 || (h as number) < 0 || (w as number) > 65535 || (h as number) > 65535) {
    throw new Error(`resize frame ${data.toString('utf8')}: Width and Height must be uint16`);
  }
  return { cols: w as number, rows: h as number };
}

export interface ExecHub {
  /** Every exec served, in order. */
  execs: ExecRecord[];
  protocolErrors: string[];
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, r: ExecRequest, start: (r: ExecRequest) => Promise<ExecProcess>): void;
  close(): void;
}

/** `supported`: the subprotocols this API server speaks (a cluster before 1.30 has no v5). */
export function createExecHub(supported: readonly string[] = EXEC_PROTOCOLS): ExecHub {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => [...protocols].find((p) => supported.includes(p)) ?? false });
  const open = new Set<WebSocket>();
  const hub: ExecHub = {
    execs: [],
    protocolErrors: [],
    upgrade(req, socket, head, r, start) {
      wss.handleUpgrade(req, socket, head, (ws) => {
        open.add(ws);
        const rec: ExecRecord = { request: r, protocol: ws.protocol, resizes: [] };
        hub.execs.push(rec);
        const fail = (why: string): void => void hub.protocolErrors.push(`${r.pod} ${r.command.join(' ')}: ${why}`);
        const send = (channel: number, data: Buffer): void => {
          if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), data]));
        };
        void (async () => {
          let proc: ExecProcess;
          try {
            proc = await start(r);
          } catch (e) {
            rec.status = statusOf({ error: (e as Error).message });
            send(ERROR, Buffer.from(JSON.stringify(rec.status)));
            ws.close(1000);
            return;
          }
          // The kubelet's "connection established" signal.
          send(r.stdout ? STDOUT : r.stderr ? STDERR : ERROR, Buffer.alloc(0));
          let stdinOpen = r.stdin;
          ws.on('message', (data: Buffer, isBinary: boolean) => {
            if (!isBinary) return fail('text frame on a binary channel protocol');
            if (data.length === 0) return;
            const channel = data[0]!;
            const body = data.subarray(1);
            if (channel === CLOSE) {
              if (ws.protocol !== 'v5.channel.k8s.io') return fail('close signal (255) on a protocol without stream close');
              if (body.length !== 1 || body[0] !== STDIN) return fail(`close signal for channel ${body[0]} (only stdin can be closed)`);
              stdinOpen = false;
              proc.stdin.end();
              return;
            }
            if (channel === STDIN) {
              if (!r.stdin) return fail('stdin frame without stdin=true');
              if (!stdinOpen) return fail('stdin frame after stdin was closed');
              proc.stdin.write(body);
              return;
            }
            if (channel === RESIZE) {
              if (!r.tty) return fail('resize frame without tty=true');
              try {
                const size = parseResize(body);
                rec.resizes.push(size);
                proc.resize(size.cols, size.rows);
              } catch (e) {
                fail((e as Error).message);
              }
              return;
            }
            fail(`frame for channel ${channel}, which a client does not write`);
          });
          ws.on('close', () => {
            open.delete(ws);
            proc.kill();
          });
          proc.stdin.on('error', () => undefined);
          proc.stdout.on('data', (d: Buffer) => send(STDOUT, d));
          proc.stderr?.on('data', (d: Buffer) => send(STDERR, d));
          const exit = await proc.exit;
          // Output still in the pipes goes out before the Status, as the kubelet copies the streams first.
          await Promise.all([proc.stdout, proc.stderr].filter(Boolean).map((s) => (s!.readableEnded ? undefined : new Promise((res) => s!.once('end', res).once('close', res)))));
          rec.status = statusOf(exit);
          send(ERROR, Buffer.from(JSON.stringify(rec.status)));
          ws.close(1000);
        })();
      });
    },
    close() {
      for (const ws of open) ws.terminate();
      wss.close();
    },
  };
  return hub;
}
