/** A test server on the real sandbox driver (root, namespaces, systemd in each VM). */
import type { TestContext } from 'node:test';
import { createDriver } from '@pudu/drivers';
import { startTestServer, type TestServer } from './harness.ts';
import type { ServerOptions } from '../../packages/server/src/server.ts';

/** Skips (with the reason) where the sandbox cannot run; CI runs as root where it can. */
export function sandboxSkipReason(): string | undefined {
  return process.getuid?.() === 0 ? undefined : 'needs root for the sandbox driver';
}

export async function startSandboxServer(t: TestContext, opts: Partial<ServerOptions> = {}): Promise<TestServer> {
  const driver = await createDriver('sandbox', { log: () => undefined });
  return startTestServer(t, { driver, ...opts });
}
