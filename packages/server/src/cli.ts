/**
 * `pudu` subcommands. `server` is the API; `run` (direct mode) is the server plus a fleet;
 * `demo` is the server plus one scenario run, printing where to look; `assets` builds
 * the guest image; `cleanup` removes every host object Pudu created.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { buildGuestImage, driverIsolation, exportOciLayout, readHostRoutes, type DriverName, type VmDriver } from '@pudu/drivers';
import { isTerminalRunState, parseRunEvent } from '@pudu/schema';
import { findInstallRoot } from './paths.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { PUDU_VERSION, startServer, type RunningServer } from './server.ts';
import { openDriver, buildAssets, cleanupHostObjects } from './driver-setup.ts';
import { agentClientFactory } from './runner/agent-port.ts';
import type { Principal } from './auth/tokens.ts';
import { createToken } from './auth/tokens.ts';
import { addConfigOptions, flagsOf } from './config-flags.ts';
import { configError, formatIssues, loadConfig } from './config-load.ts';
import { checkSettings } from './config-check.ts';
import { createLogger } from './http/access-log.ts';
import { addConfigCommand } from './config-command.ts';
import { addTokenCommand } from './auth/token-command.ts';
import { addInstallCommands } from './install-command.ts';
import { webhooksFromOptions } from './webhooks/webhook-config.ts';
import { serverOwner } from './fleets/server-owner.ts';
import { parseBudget } from './fleets/capacity-budget.ts';
import { LazyDriver } from './leader/lazy-driver.ts';

type ServeOpts = Record<string, unknown> & { config?: string; cloudInitIso?: string; webhook?: string[]; webhooksFile?: string };

function addServeOptions(c: Command): Command {
  return addConfigOptions(c)
    .option('--cloud-init-iso <file>', 'accepted for compatibility with the original; VM config is generated per VM')
    .option('--webhook <url>', 'POST run and game-day events here, signed with $PUDU_WEBHOOK_SECRET (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--webhooks-file <file>', 'JSON list of webhooks: [{"url", "events": ["run.resolved", …], "secret"}]');
}

async function serve(o: ServeOpts): Promise<RunningServer> {
  const loaded = loadConfig({ file: o.config, env: process.env, flags: flagsOf(o) });
  const c = loaded.config;
  const checked = checkSettings(c, loaded.where, await readHostRoutes());
  if (checked.errors.length) throw configError(checked.errors);
  const logger = createLogger(c.log_level);
  const log = (m: string): void => logger.info(m);
  for (const w of formatIssues(checked.warnings)) logger.warn(w);
  if (loaded.file) log(`settings from ${loaded.file}`);
  const root = findInstallRoot();
  const unlock = lockDataDir(c.data_dir);
  process.once('exit', unlock);
  const database = c.database ?? join(c.data_dir, 'pudu.db');
  // VMs belong to the database: after a crash or restart, a server on the same database adopts them.
  const open = (): Promise<VmDriver> => openDriver({ name: c.driver, kernel: c.kernel, rootfs: c.rootfs, networkBase: c.network_base, owner: serverOwner(database), onProgress: log,
    kubernetes: { namespace: c.kubernetes_namespace, image: c.kubernetes_image, runtimeClassName: c.kubernetes_runtime_class },
  });
  // Replicas on PostgreSQL: only the leader opens the driver (a follower must not take the VMs' owner lease).
  const onPostgres = /^postgres(ql)?:\/\//.test(database);
  if (onPostgres && c.driver === 'auto') log('driver auto is opened at start, so no follower can share this database on this host; name the driver (--driver) to run replicas');
  const driver = onPostgres && c.driver !== 'auto' ? new LazyDriver(c.driver as DriverName, open) : await open();
  const server = await startServer({
    host: c.bind,
    port: c.port,
    database,
    driver,
    agentFactory: agentClientFactory,
    libraryDir: resolve(c.library ?? join(root, 'scenarios')),
    webDir: resolve(c.web_dir ?? join(root, 'dist', 'web')),
    allowedOrigins: c.allowed_origins,
    policyFile: c.policy === undefined ? undefined : resolve(c.policy),
    webhooks: webhooksFromOptions(o.webhook ?? [], o.webhooksFile),
    log,
    logger,
    tls: c.tls_cert && c.tls_key ? { certFile: c.tls_cert, keyFile: c.tls_key } : undefined,
    trustProxy: c.trust_proxy,
    networkBase: c.network_base,
    warmPool: c.warm_pool,
    capacity: c.capacity ? parseBudget(c.capacity) : undefined,
    advertiseUrl: c.advertise_url,
  });
  // SIGHUP: pick up a renewed certificate without dropping connections (certbot's deploy hook, cert-manager).
  process.on('SIGHUP', () => {
    if (!c.tls_cert) {
      log('SIGHUP: nothing to reload (TLS is off)');
      return;
    }
    server.reloadTls().catch((e: unknown) => logger.error(`SIGHUP: kept the old certificate: ${e instanceof Error ? e.message : String(e)}`));
  });
  const shown = server.url.replace('127.0.0.1', 'localhost');
  const iso = driverIsolation(driver.name);
  console.log(`pudu ${PUDU_VERSION}: serving on ${shown} (driver ${driver.name}, database ${server.ctx.store.kind})`);
  console.log(`  isolation: ${iso.boundary} (${iso.strength}) — ${iso.summary}`);
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

const SYSTEM: Principal = { id: 'cli', name: 'pudu-cli', role: 'admin', policyRole: 'admin', user: 'pudu-cli', groups: [], runId: null, expiresAt: null };

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
      const unsubscribe = server.ctx.bus.subscribe(run.id, (raw) => {
        const ev = parseRunEvent(raw);
        if (ev?.kind === 'run.started') console.log(`run ${run.id} started: the incident is live`);
        if (ev?.kind === 'fleet.ready') console.log(`fleet ready: ${ev.data.vms.map((v) => `${v.name} → puduc terminal ${v.index} / ssh root@${v.guestIp}`).join(', ')}`);
        if (raw.kind.startsWith('run.') && isTerminalRunState(raw.kind.slice(4))) console.log(`run ${run.id} ${raw.kind.slice(4)}${ev?.kind === 'run.resolved' ? `: score ${ev.data.score}` : ''}`);
      });
      await untilSignal(async () => {
        unsubscribe();
        await server.ctx.runs.abort(run.id, SYSTEM).catch(() => undefined);
        await server.close();
      });
    });

  addConfigCommand(program);
  addTokenCommand(program);
  addInstallCommands(program);

  program
    .command('image')
    .description('the guest image in other forms')
    .command('export')
    .description('write the guest image as an OCI image layout (for the kubernetes driver: push it with skopeo copy oci:DIR:REF docker://REGISTRY/REF)')
    .requiredOption('--out <dir>', 'directory to write the layout to (replaced)')
    .option('--ref <name>', 'reference name inside the layout (default pudu/guest:<image key>)')
    .action(async (o: { out: string; ref?: string }) => {
      const img = await buildGuestImage({ onProgress: (m) => console.error(`pudu: ${m}`) });
      const ref = o.ref ?? `pudu/guest:${img.key}`;
      const r = await exportOciLayout(img.rootfsDir, resolve(o.out), ref);
      console.log(`wrote ${r.dir} (${ref}, manifest ${r.manifestDigest}, layer ${(r.layerBytes / 1048576).toFixed(0)} MiB)`);
      console.log(`push: skopeo copy oci:${r.dir}:${ref} docker://<registry>/${ref}`);
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
