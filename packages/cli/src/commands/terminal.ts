/**
 * `puduc terminal N`: an interactive shell in VM N over the server's WebSocket (SSH as
 * root behind it). Raw mode, window resizes forwarded, exits when the shell exits;
 * Ctrl-] detaches. Not a printed URL: a real terminal.
 */
import { InvalidArgumentError, type Command } from 'commander';
import WebSocket from 'ws';
import { EXIT } from '../output.ts';
import { clientFromEnv } from './remote.ts';

const DETACH_BYTE = 0x1d; // Ctrl-]

function vmIndex(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a VM index (0, 1, …) as shown by `puduc fleet list`');
  return n;
}

/** Connects stdin/stdout to VM N's shell; resolves with the exit code. */
export function openTerminal(n: number): Promise<number> {
  const client = clientFromEnv();
  const token = process.env.PUDU_TOKEN;
  const size = { cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 };
  const ws = new WebSocket(client.terminalUrl(n, size), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const stdin = process.stdin;
  let raw = false;
  return new Promise((resolve) => {
    const restore = (): void => {
      if (raw && stdin.isTTY) stdin.setRawMode(false);
      raw = false;
      stdin.pause();
      process.stdout.off('resize', onResize);
    };
    const onResize = (): void => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'resize', cols: process.stdout.columns, rows: process.stdout.rows }));
    };
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        let msg = `HTTP ${res.statusCode}`;
        try {
          const p = JSON.parse(body) as { code: string; detail: string };
          msg = `${p.code}: ${p.detail}`;
        } catch {
          /* not problem+json */
        }
        console.error(`puduc: terminal ${n}: ${msg}`);
        resolve(res.statusCode === 404 || res.statusCode === 403 || res.statusCode === 400 ? EXIT.FAILED : EXIT.SERVER);
      });
    });
    ws.on('error', (e) => {
      restore();
      console.error(`puduc: terminal ${n}: cannot reach ${client.baseUrl}: ${e.message}`);
      resolve(EXIT.SERVER);
    });
    ws.on('open', () => {
      if (stdin.isTTY) {
        stdin.setRawMode(true);
        raw = true;
      }
      stdin.resume();
      stdin.on('data', (d: Buffer) => {
        if (d.length === 1 && d[0] === DETACH_BYTE) {
          ws.close(1000, 'detached');
          return;
        }
        ws.send(d, { binary: true });
      });
      process.stdout.on('resize', onResize);
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) process.stdout.write(data as Buffer);
    });
    ws.on('close', (code, reason) => {
      restore();
      if (code !== 1000 && code !== 1005) console.error(`\r\npuduc: terminal closed: ${code} ${reason.toString()}`);
      resolve(code === 1000 || code === 1005 ? EXIT.OK : EXIT.SERVER);
    });
  });
}

export function registerTerminal(program: Command): void {
  program
    .command('terminal <n>')
    .description('open an interactive shell (root) in VM N; Ctrl-] detaches')
    .action(async (n: string) => {
      process.exitCode = await openTerminal(vmIndex(n));
      // stdin may keep the loop alive after the socket closed.
      process.exit(process.exitCode);
    });
}
