import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPuduError } from '@pudu/schema';
import { CONFIG_KEYS } from './config-keys.ts';
import { formatIssues, loadConfig } from './config-load.ts';
import { checkConfig, checkTlsPair } from './config-check.ts';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function selfSigned(dir: string, name: string, days = 30): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', String(days), '-subj', `/CN=${name}`], { stdio: 'ignore' });
  return { cert, key };
}

test('every key is also a flag and an environment variable, each name used once', () => {
  for (const k of CONFIG_KEYS) {
    assert.match(k.key, /^[a-z][a-z_]*$/);
    assert.match(k.flag, /^--[a-z][a-z-]*$/);
    assert.equal(k.env, `PUDU_${k.key.toUpperCase()}`);
  }
  for (const field of ['key', 'flag', 'env'] as const) assert.equal(new Set(CONFIG_KEYS.map((k) => k[field])).size, CONFIG_KEYS.length, field);
});

test('a flag beats the environment, which beats the file, which beats the default', (t) => {
  const dir = tmp(t);
  const file = join(dir, 'pudu.yaml');
  writeFileSync(file, 'port: 9001\nbind: 0.0.0.0\nlog_level: debug\n');
  const c = loadConfig({ file, env: { PUDU_PORT: '9002', PUDU_BIND: '::1' }, flags: { port: '9003' } });
  assert.deepEqual([c.config.port, c.config.bind, c.config.log_level, c.config.driver], [9003, '::1', 'debug', 'auto']);
  assert.deepEqual([c.sources.port, c.sources.bind, c.sources.log_level, c.sources.driver], ['flag', 'env', 'file', 'default']);
});

test('a bare --trust-proxy or trust_proxy: true trusts a proxy on this host only', (t) => {
  const file = join(tmp(t), 'pudu.yaml');
  writeFileSync(file, 'trust_proxy: true\n');
  assert.deepEqual(loadConfig({ file, env: {} }).config.trust_proxy, ['127.0.0.1', '::1']);
  assert.deepEqual(loadConfig({ env: { PUDU_TRUST_PROXY: '10.0.0.5, 10.1.0.0/16' }, defaultFile: '/nonexistent' }).config.trust_proxy, ['10.0.0.5', '10.1.0.0/16']);
  assert.deepEqual(loadConfig({ env: {}, flags: { trust_proxy: true }, defaultFile: '/nonexistent' }).config.trust_proxy, ['127.0.0.1', '::1']);
});

test('config check reports each of eight seeded mistakes at its line and column', async (t) => {
  const dir = tmp(t);
  const file = join(dir, 'pudu.yaml');
  writeFileSync(file, [
    '# a config an operator got wrong', // 1
    'prot: 8080', // 2 unknown key (typo)
    'port: 70000', // 3 out of range
    'driver: vmware', // 4 not a driver
    'log_level: verbose', // 5 not a level
    `tls_cert: ${join(dir, 'missing.crt')}`, // 6 without its key
    'network_base: 10.0.0.0/20', // 7 too small
    'trust_proxy: [nginx.local]', // 8 not an address
    'allowed_origins:', // 9
    '  - not a url', // 10
  ].join('\n'));
  const r = await checkConfig({ file, env: {} });
  const lines = formatIssues(r.errors);
  const expect: [number, number, RegExp][] = [
    [2, 1, /unknown setting "prot" \(did you mean "port"\?\)/],
    [3, 7, /port: must be 0–65535/],
    [4, 9, /driver: must be one of auto, sandbox/],
    [5, 12, /log_level: must be one of fatal/],
    [7, 15, /network_base: network base "10.0.0.0\/20": prefix must be between \/8 and \/16/],
    [8, 15, /trust_proxy: \[0\] must be an IP address or CIDR block/],
    [10, 5, /allowed_origins: \[0\] must be an origin URL/],
    [6, 11, /tls_cert: tls_key must be set too/],
  ];
  assert.equal(lines.length, expect.length, lines.join('\n'));
  assert.deepEqual(lines.map((l) => Number(l.slice(file.length + 1).split(':')[0])), [2, 3, 4, 5, 6, 7, 8, 10], 'in reading order');
  for (const [line, col, re] of expect) {
    assert.ok(lines.some((l) => l.startsWith(`${file}:${line}:${col}: `) && re.test(l)), `${line}:${col} ${re}\n${lines.join('\n')}`);
  }
});

test('a YAML syntax error and a duplicate key are reported with their position, never a stack', async (t) => {
  const file = join(tmp(t), 'pudu.yaml');
  writeFileSync(file, 'port: 8888\nbind: [127.0.0.1\n');
  const r = await checkConfig({ file, env: {} });
  assert.equal(r.errors.length, 1);
  assert.match(formatIssues(r.errors)[0]!, new RegExp(`^${file}:\\d+:\\d+: YAML: `));
  writeFileSync(file, 'port: 1\nport: 2\n');
  assert.match(formatIssues((await checkConfig({ file, env: {} })).errors)[0]!, /:2:1: YAML: Map keys must be unique/);
});

test('a bad environment variable names itself, and server start refuses the whole config', () => {
  assert.throws(() => loadConfig({ env: { PUDU_PORT: 'eighty', PUDU_DRIVER: 'xen' }, defaultFile: '/nonexistent' }), (e: unknown) => {
    assert.ok(isPuduError(e, 'CONFIG_INVALID'));
    assert.match(e.message, /PUDU_PORT: port: expected number, got "eighty"/);
    assert.match(e.message, /PUDU_DRIVER: driver: must be one of/);
    return true;
  });
  assert.throws(() => loadConfig({ file: '/nonexistent/pudu.yaml', env: {} }), /\/nonexistent\/pudu.yaml: config file not found/);
});

test('the TLS key must belong to the certificate, and an expiring certificate is a warning', async (t) => {
  const dir = tmp(t);
  const a = selfSigned(dir, 'a');
  const b = selfSigned(dir, 'b');
  assert.deepEqual(checkTlsPair(a.cert, a.key), {});
  assert.match(checkTlsPair(a.cert, b.key).key ?? '', /is not the private key of .*a\.crt \(CN=a\)/);
  assert.match(checkTlsPair(a.key, a.key).cert ?? '', /cannot read a PEM certificate/);
  assert.match(checkTlsPair(a.cert, a.cert).key ?? '', /cannot read a PEM private key/);
  const soon = selfSigned(dir, 'soon', 3);
  const file = join(dir, 'pudu.yaml');
  writeFileSync(file, `tls_cert: ${soon.cert}\ntls_key: ${soon.key}\nbind: 0.0.0.0\n`);
  const r = await checkConfig({ file, env: {} });
  assert.deepEqual(r.errors, []);
  assert.match(formatIssues(r.warnings).join('\n'), /:1:11: tls_cert: certificate expires in 2 day/);
});

test('plain HTTP on a public address is a warning, not an error', async (t) => {
  const file = join(tmp(t), 'pudu.yaml');
  writeFileSync(file, 'bind: 0.0.0.0\n');
  const r = await checkConfig({ file, env: {} });
  assert.deepEqual(r.errors, []);
  assert.match(formatIssues(r.warnings)[0]!, /:1:7: bind: serving plain HTTP on 0.0.0.0/);
});

test('docs/operating.md lists every setting with its flag and environment variable', () => {
  const doc = readFileSync(new URL('../../../docs/operating.md', import.meta.url), 'utf8');
  for (const k of CONFIG_KEYS) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${k.key}\` |`));
    assert.ok(row, `no row for ${k.key}`);
    assert.ok(row.includes(`\`${k.flag}`) && row.includes(`\`${k.env}\``), `${k.key}: ${row}`);
  }
});
