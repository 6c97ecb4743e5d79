/**
 * `pudu server` as an operator runs it: settings from a pudu.yaml, HTTPS from a
 * certificate that is renewed and picked up on SIGHUP without a restart; a bad renewal
 * keeps the old certificate and says so; the log on stdout is JSON lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiPath } from '@pudu/schema';
import { REPO_ROOT } from './harness.ts';
import { FatalWait, waitFor } from './vm-shell.ts';

function selfSigned(dir: string, cn: string): { cert: string; key: string } {
  const cert = join(dir, `${cn}.crt`);
  const key = join(dir, `${cn}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', `/CN=${cn}`], { stdio: 'ignore' });
  return { cert, key };
}

/** The CN of the certificate the server presents to a new connection, and the status of GET path. */
function peer(url: string, path: string): Promise<{ cn: string; status: number }> {
  return new Promise((resolve, reject) => {
    // A self-signed test certificate: the point is which one is served, not the chain.
    const req = get(`${url}${path}`, { rejectUnauthorized: false, agent: false }, (res) => {
      const cn = String((res.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '');
      res.resume();
      res.on('end', () => resolve({ cn, status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
  });
}

test('serves HTTPS from pudu.yaml, reloads a renewed certificate on SIGHUP and keeps the old one when the new is bad', { timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-tls-'));
  const a = selfSigned(dir, 'pudu-a');
  const b = selfSigned(dir, 'pudu-b');
  const live = { cert: join(dir, 'live.crt'), key: join(dir, 'live.key') };
  copyFileSync(a.cert, live.cert);
  copyFileSync(a.key, live.key);
  const config = join(dir, 'pudu.yaml');
  writeFileSync(config, [
    'port: 0', 'bind: 127.0.0.1', 'driver: sandbox', `data_dir: ${join(dir, 'data')}`,
    `library: ${join(REPO_ROOT, 'scenarios')}`, `tls_cert: ${live.cert}`, `tls_key: ${live.key}`, 'log_level: info', '',
  ].join('\n'));
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'packages/server/src/main.ts'), 'server', '--config', config], { cwd: REPO_ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const url = await waitFor('the server to listen', async () => {
    if (child.exitCode !== null) throw new FatalWait(`the server exited with ${child.exitCode}:\n${stdout}\n${stderr}`);
    return /serving on (https:\/\/\S+)/.exec(stdout)?.[1]?.replace('localhost', '127.0.0.1');
  }, 240_000, 100);

  assert.deepEqual(await peer(url, apiPath('healthz')), { cn: 'pudu-a', status: 200 });
  copyFileSync(b.cert, live.cert);
  copyFileSync(b.key, live.key);
  child.kill('SIGHUP');
  await waitFor('the renewed certificate', async () => ((await peer(url, apiPath('healthz'))).cn === 'pudu-b' ? true : undefined), 10_000, 100);

  writeFileSync(live.cert, '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
  child.kill('SIGHUP');
  await waitFor('the refusal in the log', async () => (/kept the old certificate/.test(stdout) ? true : undefined), 10_000, 100);
  assert.deepEqual(await peer(url, apiPath('healthz')), { cn: 'pudu-b', status: 200 }, 'a bad renewal must not take the server down');
  assert.equal(child.exitCode, null);

  const json = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; level: string; route?: string });
  assert.ok(json.some((e) => e.msg === 'request' && e.route === apiPath('healthz')), stdout);
  assert.ok(json.some((e) => e.level === 'error' && /SIGHUP: kept the old certificate: TLS: cannot read a PEM certificate/.test(e.msg)), stdout);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
});
