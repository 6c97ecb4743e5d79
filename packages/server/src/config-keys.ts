/**
 * The server's settings, one table: each key of /etc/pudu/pudu.yaml is also a flag of
 * `pudu server` and an environment variable (flag > env > file > default). The CLI's
 * options, the env parser, `pudu config check` and docs/operating.md all read this table,
 * so a setting cannot exist in one place and not the others.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { parseCidr } from '@pudu/schema';
import { DEFAULT_NETWORK_BASE, type DriverChoice } from '@pudu/drivers';
import { defaultDataDir } from './paths.ts';
import { DRIVER_CHOICES } from './driver-setup.ts';
import { parseBudget } from './fleets/capacity-budget.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** What a bare `--trust-proxy` (or `trust_proxy: true`) trusts: a proxy on this host. */
export const LOOPBACK_PROXIES = ['127.0.0.1', '::1'];

/** How a raw flag or env string becomes a value; YAML gives typed values directly. */
type Kind = 'string' | 'int' | 'list' | 'proxies';

export interface ConfigKey {
  /** Key in pudu.yaml (snake_case). */
  key: string;
  /** `--kebab-case` flag of `pudu server` (and `run`, `demo`). */
  flag: string;
  /** Environment variable. */
  env: string;
  kind: Kind;
  /** Placeholder in --help. */
  arg: string;
  help: string;
  schema: z.ZodType;
  default?: () => unknown;
}

const path = z.string().min(1, 'must not be empty');
const ipOrCidr = z.string().refine((s) => parseCidr(s) !== null, 'must be an IP address or CIDR block');

export const CONFIG_KEYS: ConfigKey[] = [
  {
    key: 'port', flag: '--port', env: 'PUDU_PORT', kind: 'int', arg: '<port>', help: 'HTTP(S) port',
    schema: z.number().int('must be an integer').min(0, 'must be 0–65535').max(65535, 'must be 0–65535'), default: () => 8888,
  },
  {
    key: 'bind', flag: '--bind', env: 'PUDU_BIND', kind: 'string', arg: '<addr>', help: 'listen address (0.0.0.0 or :: to serve other machines)',
    schema: z.string().refine((s) => isIP(s) !== 0 || s === 'localhost', 'must be an IP address or "localhost"'), default: () => '127.0.0.1',
  },
  {
    key: 'driver', flag: '--driver', env: 'PUDU_DRIVER', kind: 'string', arg: '<name>', help: `VM driver: ${DRIVER_CHOICES.join(', ')}`,
    schema: z.enum(DRIVER_CHOICES, { error: `must be one of ${DRIVER_CHOICES.join(', ')}` }), default: () => 'auto',
  },
  {
    key: 'data_dir', flag: '--data-dir', env: 'PUDU_DATA_DIR', kind: 'string', arg: '<dir>', help: 'state directory (database, logs)',
    schema: path.refine((s) => s.startsWith('/'), 'must be an absolute path'), default: defaultDataDir,
  },
  {
    key: 'database', flag: '--database', env: 'PUDU_DATABASE', kind: 'string', arg: '<url>', help: 'SQLite file or postgres://user:pass@host/db (default <data_dir>/pudu.db)',
    schema: path.refine((s) => !s.includes('://') || /^postgres(ql)?:\/\/[^/]+\/[^/]+/.test(s), 'must be a file path or postgres://user:pass@host/db'),
  },
  {
    key: 'advertise_url', flag: '--advertise-url', env: 'PUDU_ADVERTISE_URL', kind: 'string', arg: '<url>',
    help: 'PostgreSQL replicas: where the other replicas forward API calls while this one leads (default: the address it listens on)',
    schema: z.string().regex(/^https?:\/\/[^/\s]+\/?$/, 'must be http(s)://host:port'),
  },
  { key: 'library', flag: '--library', env: 'PUDU_LIBRARY', kind: 'string', arg: '<dir>', help: 'scenario library directory (default ./scenarios)', schema: path },
  { key: 'web_dir', flag: '--web-dir', env: 'PUDU_WEB_DIR', kind: 'string', arg: '<dir>', help: 'built web UI (default ./dist/web)', schema: path },
  { key: 'kernel', flag: '--kernel', env: 'PUDU_KERNEL', kind: 'string', arg: '<file>', help: 'guest kernel (vmlinux) for qemu/firecracker', schema: path },
  { key: 'rootfs', flag: '--rootfs', env: 'PUDU_ROOTFS', kind: 'string', arg: '<file>', help: 'guest rootfs.ext4 for qemu/firecracker', schema: path },
  {
    key: 'network_base', flag: '--network-base', env: 'PUDU_NETWORK_BASE', kind: 'string', arg: '<cidr>',
    help: 'block VM addresses come from, /8–/16, must not overlap a host route (see docs/operating.md for sizing)',
    schema: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'must be an IPv4 CIDR block like 10.213.0.0/16'), default: () => DEFAULT_NETWORK_BASE,
  },
  {
    key: 'warm_pool', flag: '--warm-pool', env: 'PUDU_WARM_POOL', kind: 'string', arg: '<spec>',
    help: 'booted, verified fleets kept ready per library scenario, e.g. disk-full:3,db-connection-exhaustion:2 (docs/operating.md)',
    schema: z.string().regex(/^[\w./-]+(:\d+)?(,[\w./-]+(:\d+)?)*$/, 'must be scenario[:count],… like disk-full:3,db-connection-exhaustion:2'),
  },
  {
    key: 'kubernetes_namespace', flag: '--kubernetes-namespace', env: 'PUDU_KUBERNETES_NAMESPACE', kind: 'string', arg: '<ns>',
    help: 'kubernetes driver: namespace the fleets\' Pods go in', schema: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a namespace name'), default: () => 'pudu',
  },
  { key: 'kubernetes_image', flag: '--kubernetes-image', env: 'PUDU_KUBERNETES_IMAGE', kind: 'string', arg: '<ref>', help: 'kubernetes driver: the guest image in a registry (pudu image export, then push)', schema: path },
  {
    key: 'kubernetes_runtime_class', flag: '--kubernetes-runtime-class', env: 'PUDU_KUBERNETES_RUNTIME_CLASS', kind: 'string', arg: '<name>',
    help: 'kubernetes driver: RuntimeClass that makes each Pod a microVM (kata-qemu, kata-fc)', schema: path,
  },
  { key: 'policy', flag: '--policy', env: 'PUDU_POLICY', kind: 'string', arg: '<file>', help: 'blast-radius policy (YAML; re-read when it changes); default: the shipped library in training only', schema: path },
  {
    key: 'capacity', flag: '--capacity', env: 'PUDU_CAPACITY', kind: 'string', arg: '<budget>',
    help: 'host budget for all fleets: vms=N,vcpus=N,memory_mb=N (any subset; default from the host: 16 VMs and 8 vCPUs per CPU, 80 % of RAM)',
    schema: z.string().refine((t) => {
      try {
        parseBudget(t);
        return true;
      } catch {
        return false;
      }
    }, 'must be vms=N,vcpus=N,memory_mb=N (any subset, N ≥ 1)'),
  },
  { key: 'tls_cert', flag: '--tls-cert', env: 'PUDU_TLS_CERT', kind: 'string', arg: '<file>', help: 'PEM certificate chain: serve HTTPS (reloaded on SIGHUP)', schema: path },
  { key: 'tls_key', flag: '--tls-key', env: 'PUDU_TLS_KEY', kind: 'string', arg: '<file>', help: 'PEM private key of --tls-cert (reloaded on SIGHUP)', schema: path },
  {
    key: 'trust_proxy', flag: '--trust-proxy', env: 'PUDU_TRUST_PROXY', kind: 'proxies', arg: '[addrs]',
    help: 'take client address and scheme from X-Forwarded-* sent by these proxies (comma-separated IPs/CIDRs; bare: this host)',
    schema: z.array(ipOrCidr), default: () => [],
  },
  {
    key: 'log_level', flag: '--log-level', env: 'PUDU_LOG_LEVEL', kind: 'string', arg: '<level>', help: `access and server log level: ${LOG_LEVELS.join(', ')}`,
    schema: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }), default: () => 'info',
  },
  {
    key: 'allowed_origins', flag: '--allowed-origin', env: 'PUDU_ALLOWED_ORIGINS', kind: 'list', arg: '<url>',
    help: 'extra browser Origin allowed to open terminals (repeatable; env: comma-separated)',
    schema: z.array(z.url({ error: 'must be an origin URL like https://pudu.example.org' })), default: () => [],
  },
];

/** The settings `pudu server` runs with, after defaults. */
export interface ServerConfig {
  port: number;
  bind: string;
  driver: DriverChoice;
  data_dir: string;
  database?: string;
  library?: string;
  web_dir?: string;
  kernel?: string;
  rootfs?: string;
  network_base: string;
  policy?: string;
  warm_pool?: string;
  advertise_url?: string;
  kubernetes_namespace: string;
  kubernetes_image?: string;
  kubernetes_runtime_class?: string;
  capacity?: string;
  tls_cert?: string;
  tls_key?: string;
  trust_proxy: string[];
  log_level: (typeof LOG_LEVELS)[number];
  allowed_origins: string[];
}

export const DEFAULT_CONFIG_FILE = '/etc/pudu/pudu.yaml';

/** Turns a flag or env string (or a YAML value) into the key's value type. */
export function normalizeValue(k: ConfigKey, text: unknown): unknown {
  if (k.kind === 'proxies') {
    if (text === true || text === 'true') return LOOPBACK_PROXIES;
    if (text === false || text === 'false') return [];
  }
  if (typeof text !== 'string' && !Array.isArray(text)) return text;
  if (Array.isArray(text)) return text.flatMap((t) => (typeof t === 'string' ? t.split(',') : [t])).map((t) => (typeof t === 'string' ? t.trim() : t)).filter((t) => t !== '');
  const s = String(text);
  if (k.kind === 'int') return /^-?\d+$/.test(s.trim()) ? Number(s) : s;
  if (k.kind === 'list' || k.kind === 'proxies') return s.split(',').map((t) => t.trim()).filter(Boolean);
  return s;
}
