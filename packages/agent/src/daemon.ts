import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, readFileSync, unlinkSync } from 'node:fs';
import type { AgentIdentity } from '@pudu/schema';
import { loadPublicKey } from './access.ts';
import { AgentLog } from './agent-log.ts';
import type { AgentConfig } from './config.ts';
import { DeadMan } from './deadman.ts';
import { FaultManager } from './fault-manager.ts';
import { HistoryKeeper } from './history/history-keeper.ts';
import { Journal } from './journal.ts';
import { MetricsSampler } from './metrics.ts';
import { createAgentServer } from './server.ts';
import { instanceIdOf, rawPublicKey, RequestVerifier } from './signing.ts';

export const AGENT_VERSION = '0.2.0';

function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/**
 * Runs the agent until SIGTERM/SIGINT: first reverts whatever the journal says may still be
 * applied (a previous run was killed), then serves; on a signal reverts everything and exits.
 * Each process makes its own key pair: the instance id the server sees in every reply is
 * that key's, so a restarted (or impersonated) agent is always a *new* instance.
 */
export async function runAgent(cfg: AgentConfig): Promise<void> {
  const log = new AgentLog(cfg.logStderr);
  const fleetKey = loadPublicKey(cfg.keyFile);
  const { privateKey: instanceKey } = generateKeyPairSync('ed25519');
  const key = rawPublicKey(instanceKey);
  const startedAt = Date.now();
  const journal = new Journal(cfg.stateDir);
  const history = new HistoryKeeper(cfg.stateDir, log.write);
  const faults = new FaultManager({
    journal,
    beforeApply: (id) => history.beforeApply(id),
    maxTtlMs: cfg.maxTtlMs,
    ctx: { controlPort: cfg.listen.kind === 'tcp' ? cfg.listen.port : 0, nativeDir: cfg.nativeDir, log: log.write },
  });
  const { adopted, reverted: recovered } = await faults.recover();
  if (recovered > 0) log.write('reverted faults left by a previous run', { count: recovered });
  if (adopted > 0) log.write('kept faults a previous run left applied', { count: adopted });
  const bootId = readBootId();
  let refused = 0;
  const identity = (): AgentIdentity => ({
    instance_id: instanceIdOf(key),
    key,
    boot_id: bootId,
    started_at: new Date(startedAt).toISOString(),
    uptime_ms: Date.now() - startedAt,
    journal: journal.status,
    recovered,
    adopted,
    refused,
  });
  const metrics = new MetricsSampler();
  metrics.start();
  const deadman = new DeadMan(cfg.deadmanMs, () => {
    if (faults.activeCount() === 0) return;
    log.write('dead-man switch: no word from the controller; reverting every fault', { deadman_ms: cfg.deadmanMs });
    void faults.revertAll('deadman');
  });
  // Kept faults are covered by the dead-man switch from the start, server or not.
  if (adopted > 0) deadman.touch();
  const server = createAgentServer({
    faults,
    history,
    metrics,
    verifier: new RequestVerifier(fleetKey, cfg.audience),
    instanceKey,
    identity,
    allowFrom: cfg.allowFrom,
    tcp: cfg.listen.kind === 'tcp',
    version: AGENT_VERSION,
    deadmanMs: cfg.deadmanMs,
    onAuthenticated: () => deadman.touch(),
    onRefused: () => void refused++,
    log,
  });
  const listen = cfg.listen;
  if (listen.kind === 'unix') {
    try {
      unlinkSync(listen.path);
    } catch {
      /* no stale socket */
    }
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (listen.kind === 'unix') server.listen(listen.path, () => resolve());
    else server.listen(listen.port, listen.host, () => resolve());
  });
  if (listen.kind === 'unix') chmodSync(listen.path, 0o600);
  log.write('listening', { listen: listen.kind === 'unix' ? listen.path : `${listen.host}:${listen.port}`, instance_id: instanceIdOf(key), journal: journal.status });
  let stopping = false;
  const shutdown = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    log.write('shutting down: reverting every fault', { signal: sig });
    server.close();
    deadman.stop();
    metrics.stop();
    void faults
      .revertAll('shutdown')
      .then(() => {
        faults.close();
        process.exit(0);
      })
      .catch((e: Error) => {
        process.stderr.write(`revert on shutdown failed: ${e.message}\n`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
