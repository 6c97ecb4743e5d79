/**
 * `pudu` subcommands. `server` is the API; `run` (direct mode) is the server plus a fleet;
 * `demo` is the server plus one scenario run, printing where to look; `assets` builds
 * the guest image; `cleanup` removes every host object Pudu created.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { defaultDataDir, findInstallRoot } from './paths.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { PUDU_VERSION, startServer, type RunningServer } from './server.ts';
import { openDriver, buildAssets, cleanupHostObjects, DRIVER_CHOICES } from './driver-setup.ts';
import { httpAgentFactory } from './runner/http-agent.ts';
import type { Principal } from './auth/tokens.ts';
import { createToken } from './auth/tokens.ts';

interface ServeOpts {
  port: number;
  host: string;
  driver: string;
  dataDir: string;
  database?: string;
  library?: string;
  webDir?: string;
  kernel?: string;
  rootfs?: string;
  cloudInitIso?: string;
  allowedOrigin: string[];
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a TCP port 0–65535');
  return n;
}

function addServeOptions(c: Command): Command {
  return c
    .option('--port <port>', 'HTTP port', port, 8888)
    .option('--host <addr>', 'listen address (0.0.0.0 to serve other machines)', '127.0.0.1')
    .addOption(new Option('--driver <name>', 'VM driver').choices(DRIVER_CHOICES).default('auto'))
    .option('--data-dir <dir>', 'state directory (database, logs)', defaultDataDir())
    .option('--database <url>', 'SQLite file or postgres://user:pass@host/db (default <data-dir>/pudu.db)')
    .option('--library <dir>', 'scenario library directory (default ./scenarios)')
    .option('--web-dir <dir>', 'built web UI (default ./dist/web)')
    .option('--kernel <file>', 'guest kernel (vmlinux) for qemu/firecracker')
    .option('--rootfs <file>', 'guest rootfs.ext4 for qemu/firecracker')
    .option('--cloud-init-iso <file>', 'accepted for compatibility with the original; VM config is generated per VM')
    .option('--allowed-origin <url>', 'extra browser Origin allowed to open terminals (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[]);
}

async function serve(o: ServeOpts): Promise<RunningServer> {
  const root = findInstallRoot();
  const unlock = lockDataDir(o.dataDir);
  process.once('exit', unlock);
  const log = (m: string): void => console.error(`pudu: ${m}`);
  const driver = await openDriver({ name: o.driver, kernel: o.kernel, rootfs: o.rootfs, onProgress: log });
  const server = await startServer({
    host: o.host,
    port: o.port,
    database: o.database ?? join(o.dataDir, 'pudu.db'),
    driver,
    agentFactory: httpAgentFactory,
    libraryDir: resolve(o.library ?? join(root, 'scenarios')),
    webDir: resolve(o.webDir ?? join(root, 'dist', 'web')),
    allowedOrigins: o.allowedOrigin,
    log,
  });
  const shown = server.url.replace('127.0.0.1', 'localhost');
  console.log(`pudu ${PUDU_VERSION}: serving on ${shown} (driver ${driver.name}, database ${server.ctx.store.kind})`);
  if (server.adminToken) {
    console.log(`admin token (shown once; store it now): ${server.adminToken}`);
    console.log(`  export PUDU_SERVER=${shown} PUDU_TOKEN=${server.adminToken}`);
  }
  return server;
}

/** Resolves on SIGINT/SIGTERM after running `onStop`. */
function untilSignal(onStop: () => Promise<void>): Promise<void> {
  return new Promise((res) => {
    let stopping = false;
    const stop = (sig: string): void => {
      if (stopping) return;
      stopping = true;
      console.error(`pudu: ${sig}: shutting down`);
      void onStop().finally(res);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

const SYSTEM: Principal = { id: 'cli', name: 'pudu-cli', role: 'admin', runId: null };

/** Builds the `pudu` command tree. */
export function buildCli(): Command {
  const program = new Command('pudu').description('Pudu server and host runtime').version(PUDU_VERSION);

  addServeOptions(program.command('server').description('run the REST API, terminal WebSocket and web UI')).action(async (o: ServeOpts) => {
    const server = await serve(o);
    await untilSignal(() => server.close());
  });

  addServeOptions(program.command('run').description('direct mode: the server plus a fleet of N VMs with web terminals'))
    .option('--count <n>', 'number of VMs', (v: string) => Number(v), 3)
    .action(async (o: ServeOpts & { count: number }) => {
      const server = await serve(o);
      console.log(`creating ${o.count} VM(s)…`);
      const fleet = await server.ctx.fleets.create(
        Array.from({ length: o.count }, (_, i) => ({ name: `vm-${i}`, tier: 'vm', vcpus: 1, memMb: 512, diskMb: 1024, services: [] })),
        { onProgress: (m) => console.error(`pudu: ${m}`) },
      );
      const { token } = await createToken(server.ctx.store, { role: 'instructor', name: 'direct-mode' });
      const url = server.url.replace('127.0.0.1', 'localhost');
      console.log(`fleet ${fleet.id} ready in ${((fleet.bootMs ?? 0) / 1000).toFixed(1)} s`);
      for (const v of fleet.vms) console.log(`  ${v.name}: ssh root@${v.guestIp} (password root) | puduc terminal ${v.index}`);
      console.log(`open ${url}/#/signin and paste this token: ${token}`);
      console.log('Ctrl-C destroys the fleet and stops the server.');
      await untilSignal(async () => {
        await server.ctx.fleets.delete(fleet.id).catch((e: unknown) => console.error(`pudu: fleet cleanup: ${String(e)}`));
        await server.close();
      });
    });

  addServeOptions(program.command('demo').description('the server plus one scenario run; prints where to look'))
    .requiredOption('--scenario <file>', 'scenario YAML (e.g. scenarios/monolith/disk-full.yaml)')
    .option('--seed <n>', 'seed for random choices', (v: string) => Number(v))
    .action(async (o: ServeOpts & { scenario: string; seed?: number }) => {
      const yaml = await readFile(o.scenario, 'utf8').catch((e: Error) => {
        throw new Error(`cannot read --scenario ${o.scenario}: ${e.message}`);
      });
      const server = await serve(o);
      const { run, traineeToken } = await server.ctx.runs.start({ yaml, file: o.scenario, keepFleet: false, ...(o.seed === undefined ? {} : { seed: o.seed }) }, SYSTEM);
      const { token: instructor } = await createToken(server.ctx.store, { role: 'instructor', name: 'demo-instructor' });
      const url = server.url.replace('127.0.0.1', 'localhost');
      console.log('');
      console.log(`scenario "${run.title}" (${run.difficulty}) is starting as run ${run.id}: booting ${run.faults.length ? 'the fleet' : 'VMs'}…`);
      console.log(`  trainee:    open ${url}/#/runs/${run.id} and sign in with ${traineeToken}`);
      console.log(`  instructor: open ${url}/#/instructor and sign in with ${instructor}`);
      console.log(`  CLI:        PUDU_SERVER=${url} PUDU_TOKEN=${traineeToken} puduc scenario status ${run.id}`);
      console.log(`              then puduc terminal <N> (N from status), puduc scenario hint ${run.id}`);
      console.log('Ctrl-C aborts the run (faults reverted, fleet destroyed) and stops the server.');
      const unsubscribe = server.ctx.bus.subscribe(run.id, (ev) => {
        const d = ev.data as Record<string, unknown>;
        if (ev.kind === 'run.started') console.log(`run ${run.id} started: the incident is live`);
        if (ev.kind === 'fleet.ready') console.log(`fleet ready: ${((d.vms as { name: string; index: number; guestIp: string }[]) ?? []).map((v) => `${v.name} → puduc terminal ${v.index} / ssh root@${v.guestIp}`).join(', ')}`);
        if (/^run\.(resolved|aborted|expired|failed)$/.test(ev.kind)) console.log(`run ${run.id} ${ev.kind.slice(4)}${d.score !== undefined ? `: score ${String(d.score)}` : ''}`);
      });
      await untilSignal(async () => {
        unsubscribe();
        await server.ctx.runs.abort(run.id, SYSTEM).catch(() => undefined);
        await server.close();
      });
    });

  program
    .command('assets')
    .description('build the guest image (Debian rootfs with sshd, agent, services) and kernel assets; cached')
    .option('--force', 'rebuild even when cached')
    .action(async (o: { force?: boolean }) => {
      await buildAssets({ force: !!o.force, onProgress: (m) => console.error(`pudu: ${m}`) });
    });

  program
    .command('cleanup')
    .description('remove every host object Pudu created (VMs, namespaces, links, cgroups, mounts)')
    .action(async () => {
      await cleanupHostObjects((m) => console.error(`pudu: ${m}`));
    });

  return program;
}
