import { loadTokenDigest } from './access.ts';
import type { AgentConfig } from './config.ts';
import { DeadMan } from './deadman.ts';
import { FaultManager } from './fault-manager.ts';
import { Journal } from './journal.ts';
import { MetricsSampler } from './metrics.ts';
import { createAgentServer } from './server.ts';

export const AGENT_VERSION = '0.1.0';

function log(msg: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...fields })}\n`);
}

/**
 * Runs the agent until SIGTERM/SIGINT: first reverts whatever the journal says may still be
 * applied (a previous run was killed), then serves; on a signal reverts everything and exits.
 */
export async function runAgent(cfg: AgentConfig): Promise<void> {
  const tokenDigest = loadTokenDigest(cfg.tokenFile);
  const journal = new Journal(cfg.stateDir);
  const faults = new FaultManager({
    journal,
    maxTtlMs: cfg.maxTtlMs,
    ctx: { controlPort: cfg.port, nativeDir: cfg.nativeDir, log },
  });
  const recovered = await faults.recover();
  if (recovered > 0) log('reverted faults left by a previous run', { count: recovered });
  const metrics = new MetricsSampler();
  metrics.start();
  const deadman = new DeadMan(cfg.deadmanMs, () => {
    if (faults.activeCount() === 0) return;
    log('dead-man switch: no word from the controller; reverting every fault', { deadman_ms: cfg.deadmanMs });
    void faults.revertAll('deadman');
  });
  const server = createAgentServer({
    faults,
    metrics,
    tokenDigest,
    allowFrom: cfg.allowFrom,
    version: AGENT_VERSION,
    startedAt: Date.now(),
    deadmanMs: cfg.deadmanMs,
    onAuthenticated: () => deadman.touch(),
    log,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => resolve());
  });
  log('pudu-agent listening', { host: cfg.host, port: cfg.port, allow_from: cfg.allowFrom.map((c) => c.text), deadman_ms: cfg.deadmanMs });
  let stopping = false;
  const shutdown = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    log('shutting down: reverting every fault', { signal: sig });
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
        log('revert on shutdown failed', { error: e.message });
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
