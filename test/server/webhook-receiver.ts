/** A real HTTP receiver on loopback for webhook tests: records requests, answers as told. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received { at: number; headers: IncomingHttpHeaders; body: string }
export interface Receiver { url: string; received: Received[]; close(): Promise<void> }

/** `answer(n)` gives the status for the n-th request (1-based); 'hang' never answers. */
export async function startReceiver(answer: (n: number) => number | 'hang' = () => 204): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => {
      received.push({ at: Date.now(), headers: req.headers, body });
      const a = answer(received.length);
      if (a !== 'hang') res.writeHead(a).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
