/** A terminal WebSocket client for tests: collects the screen bytes and the control messages. */
import WebSocket from 'ws';
import { waitFor } from './vm-shell.ts';

export interface TermClient {
  ws: WebSocket;
  /** Every output byte so far, decoded. */
  text(): string;
  /** Control messages (JSON text frames) so far. */
  controls: Record<string, unknown>[];
  /** Wall-clock ms when `needle` first appeared in the output (waits for it). */
  seen(needle: string, timeoutMs?: number): Promise<number>;
  type(s: string): void;
  control(msg: Record<string, unknown>): void;
  close(): Promise<void>;
}

export function openTerminal(url: string, token: string): Promise<TermClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, [`pudu.token.${token}`]);
    let out = '';
    const firstSeen = new Map<string, number>();
    const watched = new Set<string>();
    const controls: Record<string, unknown>[] = [];
    ws.on('message', (data, isBinary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (!isBinary) {
        controls.push(JSON.parse(buf.toString('utf8')) as Record<string, unknown>);
        return;
      }
      out += buf.toString('utf8');
      const now = Date.now();
      for (const n of watched) if (!firstSeen.has(n) && out.includes(n)) firstSeen.set(n, now);
    });
    ws.on('unexpected-response', (_req, res) => reject(new Error(`terminal refused: HTTP ${res.statusCode}`)));
    ws.on('error', reject);
    ws.on('open', () => resolve({
      ws,
      text: () => out,
      controls,
      async seen(needle, timeoutMs = 15_000) {
        watched.add(needle);
        if (!firstSeen.has(needle) && out.includes(needle)) firstSeen.set(needle, Date.now());
        return waitFor(`"${needle}" on the terminal (got: ${JSON.stringify(out.slice(-300))})`, async () => firstSeen.get(needle), timeoutMs, 5);
      },
      type: (s) => ws.send(Buffer.from(s), { binary: true }),
      control: (msg) => ws.send(JSON.stringify(msg)),
      close: () => new Promise<void>((r) => {
        if (ws.readyState === ws.CLOSED) return r();
        ws.once('close', () => r());
        ws.close();
      }),
    }));
  });
}
