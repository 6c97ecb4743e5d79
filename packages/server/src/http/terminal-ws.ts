/**
 * The terminal route (`?vm=N`): a WebSocket bridged to a shell as root in VM N (SSH, or
 * the driver's own way in: an exec stream for kubernetes). Keystrokes and output
 * are binary frames; text frames carry JSON control messages (resize, keyboard). The token
 * is checked (header, `?token=`, or subprotocol `pudu.token.<token>`), a browser Origin
 * must be the server's own, trainees reach only their run's VMs, and the route to the VM
 * must go through the fleet's own link. `mode=readonly` (or `watch`) attaches to the live
 * session already open on that VM (`&session=ID` picks one) instead of opening a shell.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { Client, type ClientChannel } from 'ssh2';
import { PuduError, apiRoute } from '@pudu/schema';
import type { ServerContext } from '../context.ts';
import { tokenFromRequest, type Principal } from '../auth/tokens.ts';
import { authenticate } from '../auth/authenticate.ts';
import { assertRouteThrough } from '../net/route-guard.ts';
import { bearerChallenge, toProblem } from './problem.ts';
import type { ShellStream } from '../terminals/terminal-session.ts';

const TERMINAL_PATH = apiRoute('terminal').path;
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
  const p = toProblem(e, TERMINAL_PATH);
  const body = JSON.stringify(p);
  // A WebSocket client cannot tell a missing token from a bad one; the challenge names the scheme either way.
  const challenge = p.status === 401 ? `www-authenticate: ${bearerChallenge(false)}\r\n` : '';
  socket.end(`HTTP/1.1 ${p.status} ${p.title}\r\ncontent-type: application/problem+json\r\n${challenge}content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
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

/** The SSH channel as the shared session's shell. */
function sshShell(ssh: Client, stream: ClientChannel): ShellStream {
  return {
    write: (d) => void stream.write(d),
    resize: (cols, rows) => void stream.setWindow(rows, cols, 0, 0),
    onData: (fn) => {
      stream.on('data', fn);
      stream.stderr.on('data', fn);
    },
    onClose: (fn) => void stream.on('close', () => {
      ssh.end();
      fn();
    }),
    close: () => {
      stream.end();
      ssh.end();
    },
  };
}

/**
 * A root shell in the VM: carried by the driver when it has its own way in (kubernetes:
 * exec with a terminal through the API server), else SSH once the route is checked.
 */
async function vmShell(ctx: ServerContext, fleetId: string, vm: { name: string; guestIp: string; hostLink: string }, cols: number, rows: number): Promise<ShellStream> {
  if (ctx.driver.openShell) {
    return ctx.driver.openShell(fleetId, vm.name, { cols, rows }).catch((e: Error) => {
      throw new PuduError('VM_NOT_FOUND', `cannot open a shell in ${vm.name}: ${e.message}`);
    });
  }
  await assertRouteThrough(vm.guestIp, vm.hostLink);
  const { ssh, stream } = await openShell(vm.guestIp, cols, rows).catch((e: Error) => {
    throw new PuduError('VM_NOT_FOUND', `cannot open SSH to ${vm.name} (${vm.guestIp}): ${e.message}`);
  });
  return sshShell(ssh, stream);
}

/** Attaches the terminal endpoint to the HTTP server's upgrade event; `passOn` takes upgrades another replica serves (it returns true for those). */
export function attachTerminal(ctx: ServerContext, server: Server, passOn?: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean): () => void {
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => [...protocols].find((p) => p.startsWith(PROTOCOL_PREFIX)) ?? false,
  });
  const open = new Set<WebSocket>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (passOn?.(req, socket, head)) return;
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== TERMINAL_PATH) {
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
      principal = await authenticate(ctx, tokenOf(req));
      if (!originAllowed(req, ctx.allowedOrigins)) throw new PuduError('FORBIDDEN', `origin ${req.headers.origin} may not open terminals`);
      const mode = url.searchParams.get('mode');
      const watching = mode === 'readonly' || mode === 'watch';
      if (principal.role === 'observer' && !watching) throw new PuduError('FORBIDDEN', 'observers may only watch terminals (mode=readonly)');
      const index = Number(url.searchParams.get('vm'));
      if (!url.searchParams.has('vm') || !Number.isInteger(index) || index < 0) throw new PuduError('BAD_REQUEST', `vm must be a VM index: ${TERMINAL_PATH}?vm=N`);
      const found = await ctx.fleets.findVm(index);
      if (!found) throw new PuduError('VM_NOT_FOUND', `no running VM with index ${index}`);
      if (principal.role === 'trainee' && found.fleet.runId !== principal.runId) {
        throw new PuduError('FORBIDDEN', `VM ${index} is not part of run ${principal.runId}`);
      }
      const who = principal;
      if (watching) {
        const session = ctx.terminals.find(index, url.searchParams.get('session'));
        wss.handleUpgrade(req, socket, head, (ws) => {
          open.add(ws);
          ws.on('close', () => open.delete(ws));
          audit('ok', session ? `watching session ${session.id} of ${session.opener.name} on ${found.vm.name}, read-only` : `waiting to watch ${found.vm.name}, read-only`);
          if (session) ctx.terminals.watch(ws, session, who);
          else ctx.terminals.wait(ws, { name: found.vm.name, index }, who);
        });
        return;
      }
      const cols = Number(url.searchParams.get('cols')) || 80;
      const rows = Number(url.searchParams.get('rows')) || 24;
      const shell = await vmShell(ctx, found.fleet.id, found.vm, cols, rows);
      wss.handleUpgrade(req, socket, head, (ws) => {
        open.add(ws);
        ws.on('close', () => open.delete(ws));
        audit('ok', `${found.vm.name} (${found.vm.guestIp}) of fleet ${found.fleet.id}`);
        if (found.fleet.runId && who.role === 'trainee') void ctx.runs.noteTerminalOpened(found.fleet.runId, found.vm.name).catch(() => undefined);
        void ctx.terminals.open(ws, { shell, vm: { name: found.vm.name, index }, runId: found.fleet.runId, principal: who, cols, rows })
          .catch((e: unknown) => {
            ctx.log(`terminal on ${found.vm.name}: ${String(e)}`);
            ws.close(1011, 'terminal session failed');
          });
      });
    })().catch((e: unknown) => {
      const p = toProblem(e);
      audit(p.status === 401 || p.status === 403 ? 'denied' : 'error', p.detail);
      refuse(socket, e);
    });
  });

  return () => {
    ctx.terminals.closeAll();
    for (const ws of open) ws.terminate();
    wss.close();
  };
}
