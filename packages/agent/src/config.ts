import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { AGENT_DEFAULT_MAX_TTL_MS, AGENT_DEFAULT_PORT, parseDurationMs, PuduError } from '@pudu/schema';
import { parseCidr, type Cidr } from './access.ts';

export interface AgentConfig {
  /** A TCP address, or a Unix socket path (`unix:/path`: no network, nothing to sniff or redirect). */
  listen: { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };
  keyFile: string;
  /** `<fleet>/<vm>`: a request signed for another VM is refused here. */
  audience: string;
  logStderr: boolean;
  stateDir: string;
  deadmanMs: number;
  maxTtlMs: number;
  allowFrom: Cidr[];
  nativeDir: string;
}

export const AGENT_USAGE = `usage: pudu-agent [options]

The in-VM agent of Pudu. Every route but GET /health needs a request signed
with the fleet's Ed25519 key (the agent holds only the public key); over TCP,
requests from outside --allow-from are refused too.

options:
  --listen ADDR:PORT   where to listen (default 0.0.0.0:${AGENT_DEFAULT_PORT}); unix:/PATH for a
                       Unix socket (no network path at all)
  --key-file F         the fleet's Ed25519 public key, raw base64url (default /etc/pudu/agent.pub)
  --audience A         who this agent is, "<fleet>/<vm>" (default: the host name at start)
  --log-stderr         also write the agent's log to stderr (it is kept for the server otherwise)
  --state-dir D        journal directory (default /var/lib/pudu-agent)
  --deadman DUR        revert every fault after DUR without a request from the controller;
                       0 disables (default 60s)
  --max-ttl DUR        longest life of any fault, and the TTL of faults without a duration
                       (default ${AGENT_DEFAULT_MAX_TTL_MS / 60000}m)
  --allow-from CIDR    controller address(es), comma-separated (default: the VM's default
                       gateway, i.e. the host side of its link)
  --native-dir D       where pudu-nfq lives (default /usr/local/lib/pudu)
  -h, --help           this text
`;

/** Reads the default gateway from /proc/net/route (the host side of a Pudu VM's /30 link). */
export function findDefaultGateway(): string | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/net/route', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === '00000000' && f[2] && f[2] !== '00000000') {
      const n = parseInt(f[2], 16);
      return [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255].join('.');
    }
  }
  return undefined;
}

function duration(flag: string, text: string): number {
  const ms = parseDurationMs(text);
  if (ms === null) throw new PuduError('BAD_REQUEST', `${flag} ${text}: expected a duration like 60s, 5m or 0`);
  return ms;
}

/** Parses the command line; throws PuduError('BAD_REQUEST') naming the flag on any bad value. */
export function parseAgentArgs(argv: string[]): AgentConfig | 'help' {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        listen: { type: 'string', default: `0.0.0.0:${AGENT_DEFAULT_PORT}` },
        'key-file': { type: 'string', default: '/etc/pudu/agent.pub' },
        audience: { type: 'string' },
        'log-stderr': { type: 'boolean', default: false },
        'state-dir': { type: 'string', default: '/var/lib/pudu-agent' },
        deadman: { type: 'string', default: '60s' },
        'max-ttl': { type: 'string', default: `${AGENT_DEFAULT_MAX_TTL_MS / 1000}s` },
        'allow-from': { type: 'string' },
        'native-dir': { type: 'string', default: '/usr/local/lib/pudu' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    throw new PuduError('BAD_REQUEST', `${(e as Error).message}\n\n${AGENT_USAGE}`);
  }
  if (values.help) return 'help';
  const listenText = values.listen as string;
  let listen: AgentConfig['listen'];
  if (listenText.startsWith('unix:')) {
    const path = listenText.slice(5);
    if (!path.startsWith('/') || Buffer.byteLength(path) > 100) throw new PuduError('BAD_REQUEST', `--listen ${listenText}: expected unix:/ABSOLUTE/PATH (at most 100 bytes)`);
    listen = { kind: 'unix', path };
  } else {
    const i = listenText.lastIndexOf(':');
    const port = Number(listenText.slice(i + 1));
    if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new PuduError('BAD_REQUEST', `--listen ${listenText}: expected ADDR:PORT like 0.0.0.0:${AGENT_DEFAULT_PORT} or unix:/PATH`);
    }
    listen = { kind: 'tcp', host: listenText.slice(0, i).replace(/^\[|\]$/g, ''), port };
  }
  let allowText = values['allow-from'];
  if (allowText === undefined && listen.kind === 'tcp') {
    const gw = findDefaultGateway();
    if (!gw) throw new PuduError('BAD_REQUEST', '--allow-from: not given and the VM has no default gateway to allow; pass the controller address');
    allowText = `${gw}/32`;
  }
  const audience = (values.audience as string | undefined) ?? hostname();
  if (!/^[A-Za-z0-9_.\/-]{1,160}$/.test(audience)) throw new PuduError('BAD_REQUEST', `--audience ${audience}: expected "<fleet>/<vm>" of letters, digits, "_", ".", "-"`);
  return {
    listen,
    keyFile: values['key-file'] as string,
    audience,
    logStderr: values['log-stderr'] as boolean,
    stateDir: values['state-dir'] as string,
    deadmanMs: values.deadman === '0' ? 0 : duration('--deadman', values.deadman as string),
    maxTtlMs: duration('--max-ttl', values['max-ttl'] as string),
    allowFrom: allowText === undefined ? [] : allowText.split(',').map((c) => parseCidr(c.trim())),
    nativeDir: values['native-dir'] as string,
  };
}
