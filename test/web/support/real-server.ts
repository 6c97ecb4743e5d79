/**
 * Starts a real `pudu server` (from source, sandbox driver) for the end-to-end browser
 * tests: its own port, data directory and web bundle; stopped by PID when the test ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PuduClient } from '@pudu/client';

/** A fresh machine builds the guest image on first start (debootstrap): minutes. */
const START_TIMEOUT_MS = 600_000;
const STOP_TIMEOUT_MS = 30_000;

export interface RealServer {
  url: string;
  adminToken: string;
  log(): string;
  /** The API with the admin token. */
  admin: PuduClient;
  stop(): Promise<void>;
}

/** Spawns `pudu server --port 0` and waits for its URL and first-start admin token. */
export async function startRealServer(webDir: string): Promise<RealServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pudu-web-e2e-'));
  const child: ChildProcess = spawn(process.execPath, [
    '--import', 'tsx', join(process.cwd(), 'packages/server/src/main.ts'), 'server',
    '--port', '0', '--driver', 'sandbox', '--data-dir', dataDir, '--web-dir', webDir,
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PUDU_DATA_DIR: dataDir } });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  let url = '';
  let adminToken = '';
  while (!(url && adminToken)) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`pudu server exited (${child.exitCode}):\n${out}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`pudu server did not start within ${START_TIMEOUT_MS} ms:\n${out}`);
    }
    url = /serving on (http:\/\/\S+)/.exec(out)?.[1]?.replace('localhost', '127.0.0.1') ?? '';
    adminToken = /admin token[^:]*: (\S+)/.exec(out)?.[1] ?? '';
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    adminToken,
    log: () => out,
    admin: new PuduClient({ baseUrl: url, token: adminToken }),
    stop,
  };
}
