import type { AgentDbConnectionsParams } from '@pudu/schema';
import type { FaultDriver } from './fault.ts';
import { helperTools, requireListening } from './verify.ts';
import { helperLifecycle, startHelperUnit } from './helper-process.ts';

/** A reporting job on the database host whose connection pool never gives a session back. */
const NAME = 'report-export';

/**
 * The leaking client. It speaks just enough of the PostgreSQL wire protocol (startup
 * message, then wait for ReadyForQuery or an ErrorResponse) to hold sessions open and idle,
 * so it needs no driver in the guest. With `all` it keeps opening until Postgres refuses,
 * and retries each second: a slot freed by pg_terminate_backend or by the app is taken
 * again, as a real leak would, so only stopping the client ends the incident.
 */
const LEAK_JS = `
const net = require('node:net');
const [port, user, database, appName, want] = process.argv.slice(-5);
process.title = appName;
const target = want === 'all' ? Infinity : Number(want);
const MAX_OPENING = 4;
const held = new Set();
let opening = 0;
let pauseUntil = 0;
function int32(n) { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; }
function startupMessage() {
  const kv = ['user', user, 'database', database, 'application_name', appName].map((s) => Buffer.from(s + '\\0'));
  const body = Buffer.concat([int32(196608), ...kv, Buffer.from([0])]);
  return Buffer.concat([int32(body.length + 4), body]);
}
function open() {
  opening++;
  let ready = false;
  let settled = false;
  let buf = Buffer.alloc(0);
  const s = net.connect({ host: '127.0.0.1', port: Number(port) });
  const settle = (ok) => {
    if (settled) return;
    settled = true;
    opening--;
    if (ok) held.add(s); else { pauseUntil = Date.now() + 1000; s.destroy(); }
  };
  s.setKeepAlive(true, 10000);
  s.on('connect', () => s.write(startupMessage()));
  s.on('data', (d) => {
    if (ready) return;
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 5) {
      const type = String.fromCharCode(buf[0]);
      const len = buf.readInt32BE(1);
      if (buf.length < 1 + len) break;
      const auth = type === 'R' ? buf.readInt32BE(5) : 0;
      buf = buf.subarray(1 + len);
      if (type === 'E' || auth !== 0) return settle(false);
      if (type === 'Z') { ready = true; return settle(true); }
    }
  });
  s.on('error', () => undefined);
  s.on('close', () => { held.delete(s); settle(false); });
}
setInterval(() => {
  if (Date.now() < pauseUntil) return;
  while (held.size + opening < target && opening < MAX_OPENING) open();
}, 100);
`;

/**
 * db-connections: a client on the database VM holds connections open and idle, so the
 * application cannot get one (Postgres answers "remaining connection slots are reserved…"
 * to non-superusers). It connects over TCP to 127.0.0.1, so `ss -tnp` shows it beside
 * Postgres. Revert kills the client; the kernel closes its sockets and Postgres ends the
 * sessions. A trainee's fix is noticed when the client is gone.
 */
export const dbConnectionsFault: FaultDriver<'db-connections'> = {
  type: 'db-connections',
  conflictKey: (p) => `db-connections:${p.port}`,
  ...helperLifecycle(NAME),
  async verify(p: AgentDbConnectionsParams) {
    return [...helperTools(NAME), await requireListening('db-connections', p.port)];
  },
  async apply(_id, p: AgentDbConnectionsParams, undo) {
    undo.pid = await startHelperUnit({
      name: NAME,
      description: 'Nightly report export',
      script: LEAK_JS,
      args: [String(p.port), p.user, p.database, p.application_name, String(p.connections)],
      nodeArgs: ['--max-old-space-size=32'],
    });
    return { mechanism: 'idle-client-connections' };
  },
};
