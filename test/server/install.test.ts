/**
 * Issue 15 acceptance 1, on a machine without systemd as PID 1: `pudu install` into a
 * staging root writes a unit that `systemd-analyze verify` accepts, a pudu.yaml that
 * `pudu config check` accepts, and a server that runs from the installed copy alone and
 * answers /healthz without a token; `pudu uninstall` leaves nothing behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiPath } from '@pudu/schema';
import { REPO_ROOT } from './harness.ts';
import { FatalWait, waitFor } from './vm-shell.ts';
import { renderUnit } from '../../packages/server/src/install-unit.ts';

const MAIN = join(REPO_ROOT, 'packages/server/src/main.ts');

function pudu(args: string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: REPO_ROOT, encoding: 'utf8', env });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [join(dir, e.name), ...walk(join(dir, e.name))] : [join(dir, e.name)]));
}

test('every driver profile of the unit passes systemd-analyze verify', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const driver of ['auto', 'sandbox', 'qemu', 'firecracker', 'kubernetes'] as const) {
    const unit = join(dir, 'pudu.service');
    const text = renderUnit({ node: process.execPath, prefix: '/opt/pudu', configFile: '/etc/pudu/pudu.yaml', driver });
    writeFileSync(unit, text);
    const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${driver}: ${r.stderr}`);
    assert.equal(`${r.stdout}${r.stderr}`.trim(), '', `${driver}: systemd-analyze complained`);
    assert.match(text, /^CapabilityBoundingSet=CAP_/m);
    assert.doesNotMatch(text, /CAP_SYS_MODULE|CAP_SYS_RAWIO|CAP_SYS_BOOT|CAP_SYS_TIME|CAP_BPF/, `${driver}: host-wide capabilities`);
    if (driver === 'qemu' || driver === 'firecracker' || driver === 'kubernetes') {
      for (const line of ['ProtectSystem=strict', 'PrivateTmp=yes', 'NoNewPrivileges=yes', 'ProtectHome=yes']) assert.match(text, new RegExp(`^${line}$`, 'm'), `${driver}: ${line}`);
    }
  }
});

test('install → verified unit, checked settings, a server that runs from the install alone; uninstall leaves nothing', { timeout: 300_000 }, async (t) => {
  const destdir = mkdtempSync(join(tmpdir(), 'pudu-install-'));
  const data = mkdtempSync(join(tmpdir(), 'pudu-install-data-'));
  t.after(() => {
    rmSync(destdir, { recursive: true, force: true });
    rmSync(data, { recursive: true, force: true });
  });
  const inst = pudu(['install', '--destdir', destdir, '--driver', 'sandbox']);
  assert.equal(inst.status, 0, inst.out);
  assert.match(inst.out, /pudu\.service: systemd-analyze verify ok/);
  const prefix = join(destdir, 'opt/pudu');
  const unit = readFileSync(join(destdir, 'etc/systemd/system/pudu.service'), 'utf8');
  assert.match(unit, new RegExp(`^ExecStart=${process.execPath} /opt/pudu/pudu server --config /etc/pudu/pudu.yaml$`, 'm'));
  assert.equal(readlinkSync(join(destdir, 'usr/local/bin/pudu')), '/opt/pudu/pudu');
  assert.equal(readlinkSync(join(destdir, 'usr/local/bin/puduc')), '/opt/pudu/puduc/puduc');
  assert.ok(existsSync(join(prefix, 'node_modules/better-sqlite3/package.json')));
  assert.equal(walk(prefix).filter((f) => f.endsWith('.test.ts')).length, 0, 'tests are not installed');

  // The installed copy runs on its own: its settings check, its server, its library and UI.
  const config = join(destdir, 'etc/pudu/pudu.yaml');
  const installed = join(prefix, 'pudu');
  const check = spawnSync(process.execPath, [installed, 'config', 'check', '--config', config], { encoding: 'utf8', cwd: tmpdir() });
  assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
  const server = spawn(process.execPath, [installed, 'server', '--config', config, '--port', '0', '--data-dir', data], { cwd: tmpdir() });
  let out = '';
  server.stdout.on('data', (d: Buffer) => (out += d.toString()));
  server.stderr.on('data', (d: Buffer) => (out += d.toString()));
  t.after(() => { if (server.exitCode === null) server.kill('SIGKILL'); });
  const url = await waitFor('the installed server', async () => {
    if (server.exitCode !== null) throw new FatalWait(`exited ${server.exitCode}: ${out}`);
    return /serving on (http:\/\/\S+)/.exec(out)?.[1]?.replace('localhost', '127.0.0.1');
  }, 240_000);
  const health = await fetch(url + apiPath('healthz'));
  assert.equal(health.status, 200);
  const ui = await fetch(`${url}/`);
  assert.equal(ui.status, 200, 'the web UI is served from the install');
  const token = /admin token[^:]*: (\S+)/.exec(out)![1]!;
  const lib = await fetch(url + apiPath('listLibrary'), { headers: { authorization: `Bearer ${token}` } });
  assert.equal(lib.status, 200);
  assert.ok(((await lib.json()) as { scenarios: unknown[] }).scenarios.length > 0, 'the scenario library is installed');
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  const log = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; route?: string });
  assert.ok(log.some((e) => e.msg === 'request' && e.route === apiPath('listLibrary')));
  assert.ok(!log.some((e) => JSON.stringify(e).includes(token.split('_')[2]!)), 'no token in the JSON log');

  const un = pudu(['uninstall', '--destdir', destdir, '--purge']);
  assert.equal(un.status, 0, un.out);
  assert.deepEqual(walk(destdir), [], 'uninstall --purge leaves nothing');
});

test('a second install keeps the operator\'s settings, and uninstall without --purge keeps them too', (t) => {
  const destdir = mkdtempSync(join(tmpdir(), 'pudu-install-'));
  t.after(() => rmSync(destdir, { recursive: true, force: true }));
  assert.equal(pudu(['install', '--destdir', destdir, '--driver', 'qemu']).status, 0);
  const config = join(destdir, 'etc/pudu/pudu.yaml');
  writeFileSync(config, 'driver: qemu\nport: 9443\n');
  const again = pudu(['install', '--destdir', destdir, '--driver', 'qemu']);
  assert.match(again.out, /kept the existing \/etc\/pudu\/pudu.yaml/);
  assert.equal(readFileSync(config, 'utf8'), 'driver: qemu\nport: 9443\n');
  const un = pudu(['uninstall', '--destdir', destdir]);
  assert.equal(un.status, 0, un.out);
  assert.deepEqual(walk(destdir).map((p) => p.slice(destdir.length)), ['/etc', '/etc/pudu', '/etc/pudu/pudu.yaml']);
});
