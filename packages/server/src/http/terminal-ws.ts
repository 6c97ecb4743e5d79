/**
 * `/ws?vm=N`: a WebSocket bridged to an SSH shell as root in VM N. Keystrokes and output
 * are binary frames; text frames carry JSON control messages (resize). The token is
 * checked (header, `?token=`, or subprotocol `pudu.token.<token>`), a browser Origin must
 * be the server's own, trainees reach only their run's VMs, and the route to the VM must
 * go through the fleet's own link.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { Client, type ClientChannel } from 'ssh2';
import { PuduError, TerminalControlSchema } from '@pudu/schema';
import type { ServerContext } from '../context.ts';
import { authenticateToken, tokenFromRequest, type Principal } from '../auth/tokens.ts';
import { assertRouteThrough } from '../net/route-guard.ts';
import { toProblem } from './problem.ts';

const SSH_READY_TIMEOUT_MS = 10_000;
const PROTOCOL_PREFIX = 'pudu.token.';

function tokenOf(req: IncomingMessage): string | undefined {
  const protos = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
  const fromProto = protos.find((p) => p.startsWith(PROTOCOL_PREFIX));
  if (fromProto) return fromProto.slice(PROTOCOL_PREFIX.length);
  return tokenFromRequest(req.headers, req.url ?? '/');
}

/** A browser sends Origin; it must be this server (or configured). Non-browser clients send none. */
function originAllowed(req: IncomingMessage, allowed: string[]): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function refuse(socket: Duplex, e: unknown): void {
  const p = toProblem(e, '/ws');
  const body = JSON.stringify(p);
  socket.end(`HTTP/1.1 ${p.status} ${p.title}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** Opens an interactive shell over SSH; resolves when the shell channel is ready. */
function openShell(host: string, cols: number, rows: number): Promise<{ ssh: Client; stream: ClientChannel }> {
  return new Promise((resolve, reject) => {
    const ssh = new Client();
    ssh.on('ready', () => {
      ssh.shell({ term: 'xterm-256color', cols, rows }, (err, stream) => {
        if (err) {
          ssh.end();
          reject(err);
        } else resolve({ ssh, stream });
      });
    });
    ssh.on('error', reject);
    ssh.connect({ host, port: 22, username: 'root', password: 'root', readyTimeout: SSH_READY_TIMEOUT_MS, tryKeyboard: true });
    ssh.on('keyboard-interactive', (_n, _i, _l, _p, finish) => finish(['root']));
  });
}

function bridge(ws: WebSocket, ssh: Client, stream: ClientChannel, readOnly: boolean, onClose: () => void): void {
  stream.on('data', (d: Buffer) => ws.readyState === ws.OPEN && ws.send(d, { binary: true }));
  stream.stderr.on('data', (d: Buffer) => ws.readyState === ws.OPEN && ws.send(d, { binary: true }));
  stream.on('close', () => {
    ssh.end();
    if (ws.readyState === ws.OPEN) ws.close(1000, 'shell exited');
  });
  ws.on('message', (data, isBinary) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) {
      // A read-only viewer (instructor drop-in to watch) never types into the trainee's shell.
      if (!readOnly) stream.write(buf);
      return;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(buf.toString('utf8'));
    } catch {
      return;
    }
    const ctl = TerminalControlSchema.safeParse(msg);
    if (ctl.success) stream.setWindow(ctl.data.rows, ctl.data.cols, 0, 0);
  });
  ws.on('close', () => {
    stream.end();
    ssh.end();
    onClose();
  });
}

/** Attaches the terminal endpoint to the HTTP server's upgrade event. */
export function attachTerminal(ctx: ServerContext, server: Server): () => void {
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => [...protocols].find((p) => p.startsWith(PROTOCOL_PREFIX)) ?? false,
  });
  const open = new Set<WebSocket>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/ws') {
      refuse(socket, new PuduError('NOT_FOUND', `no WebSocket endpoint ${url.pathname}`));
      return;
    }
    let principal: Principal | undefined;
    const audit = (result: 'ok' | 'denied' | 'error', detail: string): void =>
      void ctx.store.appendAudit({
        actor: principal ? `${principal.name} (${principal.id})` : 'anonymous', role: principal?.role ?? 'none',
        action: 'terminal.open', target: `vm ${url.searchParams.get('vm') ?? '?'}`, result, detail,
      }).catch(() => undefined);
    void (async () => {
      principal = await authenticateToken(ctx.store, tokenOf(req));
      if (!originAllowed(req, ctx.allowedOrigins)) throw new PuduError('FORBIDDEN', `origin ${req.headers.origin} may not open terminals`);
      const readOnly = url.searchParams.get('mode') === 'readonly';
      if (principal.role === 'observer' && !readOnly) throw new PuduError('FORBIDDEN', 'observers may only watch terminals (mode=readonly)');
      const index = Number(url.searchParams.get('vm'));
      if (!url.searchParams.has('vm') || !Number.isInteger(index) || index < 0) throw new PuduError('BAD_REQUEST', 'vm must be a VM index: /ws?vm=N');
      const found = await ctx.fleets.findVm(index);
      if (!found) throw new PuduError('VM_NOT_FOUND', `no running VM with index ${index}`);
      if (principal.role === 'trainee' && found.fleet.runId !== principal.runId) {
        throw new PuduError('FORBIDDEN', `VM ${index} is not part of run ${principal.runId}`);
      }
      await assertRouteThrough(found.vm.guestIp, found.vm.hostLink);
      const cols = Number(url.searchParams.get('cols')) || 80;
      const rows = Number(url.searchParams.get('rows')) || 24;
      const { ssh, stream } = await openShell(found.vm.guestIp, cols, rows).catch((e: Error) => {
        throw new PuduError('VM_NOT_FOUND', `cannot open SSH to ${found.vm.name} (${found.vm.guestIp}): ${e.message}`);
      });
      wss.handleUpgrade(req, socket, head, (ws) => {
        open.add(ws);
        audit('ok', `${found.vm.name} (${found.vm.guestIp}) of fleet ${found.fleet.id}${readOnly ? ', read-only' : ''}`);
        if (found.fleet.runId && principal?.role === 'trainee') void ctx.runs.noteTerminalOpened(found.fleet.runId, found.vm.name).catch(() => undefined);
        bridge(ws, ssh, stream, readOnly, () => open.delete(ws));
      });
    })().catch((e: unknown) => {
      const p = toProblem(e);
      audit(p.status === 401 || p.status === 403 ? 'denied' : 'error', p.detail);
      refuse(socket, e);
    });
  });

  return () => {
    for (const ws of open) ws.terminate();
    wss.close();
  };
}
