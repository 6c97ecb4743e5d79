/**
 * Starts a real server (real SQLite in a temp dir, the repo's scenario library, loopback
 * port 0) for a test and tears it down afterwards, also when the test fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import type { VmDriver } from '@pudu/drivers';
import { PuduError } from '@pudu/schema';
import { PuduClient } from '@pudu/client';
import { startServer, type RunningServer, type ServerOptions } from '../../packages/server/src/server.ts';
import { agentClientFactory } from '../../packages/server/src/runner/agent-port.ts';
import { OpenApiChecker } from './openapi-check.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

/**
 * For tests that never touch a VM (auth, validation, OpenAPI): any call is a test bug,
 * so it throws instead of pretending.
 */
export function noVmDriver(): VmDriver {
  const refuse = async (): Promise<never> => {
    throw new PuduError('DRIVER_UNAVAILABLE', 'this test server has no VM driver');
  };
  return { name: 'sandbox', createFleet: refuse, destroyFleet: async () => undefined, listVms: async () => [], consoleLog: refuse };
}

export interface TestServer {
  server: RunningServer;
  url: string;
  adminToken: string;
  dataDir: string;
  openapi: OpenApiChecker;
  /** A client whose every response is checked against the served OpenAPI document. */
  client(token?: string): PuduClient;
  restart(opts?: Partial<ServerOptions>): Promise<void>;
  /** Cleanup that needs the server (delete a fleet, abort a run): runs last-in first-out, before it stops. */
  defer(fn: () => Promise<unknown>): void;
}

/** Starts a server for this test; stops it and removes its data dir in t.after. */
export async function startTestServer(t: TestContext, opts: Partial<ServerOptions> & { dataDir?: string } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'pudu-srv-test-'));
  const base = (): ServerOptions => ({
    host: '127.0.0.1',
    port: 0,
    database: join(dataDir, 'pudu.db'),
    driver: noVmDriver(),
    agentFactory: agentClientFactory,
    libraryDir: join(REPO_ROOT, 'scenarios'),
    webDir: join(dataDir, 'no-web'),
    log: () => undefined,
    // A replica that loses its PostgreSQL session exits the process (server.ts); here the
    // process is the test runner, and a test's database often stops before its server does.
    onLeadershipLost: () => undefined,
    ...opts,
  });
  let server = await startServer(base());
  const deferred: (() => Promise<unknown>)[] = [];
  const adminToken = server.adminToken;
  if (!adminToken) throw new Error('first start did not create an admin token');
  const openapi = await OpenApiChecker.load(server.url);
  const ts: TestServer = {
    server,
    url: server.url,
    adminToken,
    dataDir,
    openapi,
    client: (token = adminToken) => new PuduClient({ baseUrl: ts.url, token, fetch: openapi.fetch() }),
    async restart(more = {}) {
      await server.close().catch(() => undefined);
      server = await startServer({ ...base(), ...more, port: Number(new URL(ts.url).port) });
      ts.server = server;
    },
    defer: (fn) => void deferred.push(fn),
  };
  t.after(async () => {
    for (const fn of deferred.reverse()) await fn().catch(() => undefined);
    await ts.server.close().catch(() => undefined);
    if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  return ts;
}
