import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AGENT_DEFAULT_MAX_TTL_MS, AGENT_DEFAULT_PORT, parseDurationMs, PuduError } from '@pudu/schema';
import { parseCidr, type Cidr } from './access.ts';

export interface AgentConfig {
  host: string;
  port: number;
  tokenFile: string;
  stateDir: string;
  deadmanMs: number;
  maxTtlMs: number;
  allowFrom: Cidr[];
  nativeDir: string;
}

export const AGENT_USAGE = `usage: pudu-agent [options]

The in-VM fault agent of Pudu. Every route but GET /health needs
"Authorization: Bearer <token>"; requests from outside --allow-from are refused.

options:
  --listen ADDR:PORT   where to listen (default 0.0.0.0:${AGENT_DEFAULT_PORT})
  --token-file F       file with the token or "sha256:<hex>" of it (default /etc/pudu/agent-token)
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
        'token-file': { type: 'string', default: '/etc/pudu/agent-token' },
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
  const listen = values.listen as string;
  const i = listen.lastIndexOf(':');
  const port = Number(listen.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new PuduError('BAD_REQUEST', `--listen ${listen}: expected ADDR:PORT like 0.0.0.0:${AGENT_DEFAULT_PORT}`);
  }
  let allowText = values['allow-from'];
  if (allowText === undefined) {
    const gw = findDefaultGateway();
    if (!gw) throw new PuduError('BAD_REQUEST', '--allow-from: not given and the VM has no default gateway to allow; pass the controller address');
    allowText = `${gw}/32`;
  }
  return {
    host: listen.slice(0, i).replace(/^\[|\]$/g, ''),
    port,
    tokenFile: values['token-file'] as string,
    stateDir: values['state-dir'] as string,
    deadmanMs: values.deadman === '0' ? 0 : duration('--deadman', values.deadman as string),
    maxTtlMs: duration('--max-ttl', values['max-ttl'] as string),
    allowFrom: allowText.split(',').map((c) => parseCidr(c.trim())),
    nativeDir: values['native-dir'] as string,
  };
}
