/** `pudu install` and `pudu uninstall` (also `make install` / `make uninstall`). */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { PuduError } from '@pudu/schema';
import { cleanupHost, type DriverChoice } from '@pudu/drivers';
import { DRIVER_CHOICES } from './driver-setup.ts';
import { findInstallRoot } from './paths.ts';
import { install, readManifest, systemdIsInit, uninstall, verifyUnit } from './install.ts';

interface InstallFlags { prefix: string; binDir: string; configDir: string; unitDir: string; destdir: string; driver: DriverChoice; enable: boolean }

function systemctl(args: string[], log: (m: string) => void): void {
  log(`systemctl ${args.join(' ')}`);
  const r = spawnSync('systemctl', args, { stdio: 'inherit' });
  if (r.status !== 0) throw new PuduError('INTERNAL', `systemctl ${args.join(' ')} failed (exit ${r.status})`);
}

/** Adds `install` and `uninstall` to the `pudu` program. */
export function addInstallCommands(program: Command): void {
  const log = (m: string): void => console.error(`pudu: ${m}`);
  program
    .command('install')
    .description('install the built server as a systemd service: files under --prefix, pudu/puduc on PATH, /etc/pudu/pudu.yaml, pudu.service (verified)')
    .option('--prefix <dir>', 'where the server goes', '/opt/pudu')
    .option('--bin-dir <dir>', 'where the pudu and puduc links go', '/usr/local/bin')
    .option('--config-dir <dir>', 'settings directory (an existing pudu.yaml is kept)', '/etc/pudu')
    .option('--unit-dir <dir>', 'systemd unit directory', '/etc/systemd/system')
    .option('--destdir <dir>', 'staging root for packaging or tests: write below it, touch nothing else', process.env.DESTDIR ?? '')
    .addOption(new Option('--driver <name>', 'VM driver the unit is hardened for (and written to pudu.yaml)').choices(DRIVER_CHOICES).default('auto'))
    .option('--no-enable', 'do not enable and start the service')
    .action(async (o: InstallFlags) => {
      if (!o.destdir && process.getuid?.() !== 0) throw new PuduError('FORBIDDEN', 'pudu install needs root (or --destdir for a staging install)');
      const m = install({ source: findInstallRoot(), prefix: o.prefix, binDir: o.binDir, configDir: o.configDir, unitDir: o.unitDir, destdir: o.destdir, driver: o.driver, node: process.execPath, log });
      const unitFile = join(o.destdir, m.unit);
      const problems = verifyUnit(unitFile);
      if (problems.length) throw new PuduError('INTERNAL', `systemd-analyze verify ${unitFile}:\n  ${problems.join('\n  ')}`);
      log(`${m.unit}: systemd-analyze verify ok`);
      if (o.destdir) {
        console.log(`staged under ${o.destdir}: ${m.created.length} paths (manifest ${join(m.prefix, 'install-manifest.json')})`);
        return;
      }
      // The guest image is built here, as root, once: the hardened service must not need debootstrap's privileges.
      const assets = spawnSync(process.execPath, [join(m.prefix, 'pudu'), 'assets'], { stdio: 'inherit' });
      if (assets.status !== 0) throw new PuduError('ASSETS_MISSING', 'pudu assets failed: the service would have no guest image');
      if (!systemdIsInit()) {
        console.log(`installed. systemd is not running here: start with  ${process.execPath} ${m.prefix}/pudu server --config ${m.config}`);
        return;
      }
      systemctl(['daemon-reload'], log);
      if (o.enable) systemctl(['enable', '--now', 'pudu.service'], log);
      console.log(`installed. Status: systemctl status pudu; settings: ${m.config} (pudu config check); logs: journalctl -u pudu`);
    });

  program
    .command('uninstall')
    .description('stop and remove the service and everything install put in place; with --purge also settings, state and cache')
    .option('--prefix <dir>', 'where the server was installed', '/opt/pudu')
    .option('--destdir <dir>', 'staging root given to install', process.env.DESTDIR ?? '')
    .option('--purge', 'also remove /etc/pudu, /var/lib/pudu and /var/cache/pudu')
    .action(async (o: { prefix: string; destdir: string; purge?: boolean }) => {
      const m = readManifest(o.destdir, o.prefix);
      if (!o.destdir) {
        if (process.getuid?.() !== 0) throw new PuduError('FORBIDDEN', 'pudu uninstall needs root');
        if (systemdIsInit()) systemctl(['disable', '--now', 'pudu.service'], log);
        // The service is stopped: whatever it left on the host (VMs, chains, mounts, netns, TAPs) goes now.
        const r = await cleanupHost();
        for (const line of r.removed) log(`removed ${line}`);
        if (r.errors.length) throw new PuduError('INTERNAL', `could not remove: ${r.errors.join('; ')}`);
      }
      const removed = uninstall(o.destdir, o.prefix, { purge: !!o.purge });
      if (!o.destdir && systemdIsInit()) systemctl(['daemon-reload'], log);
      for (const p of removed) log(`removed ${p}`);
      console.log(`uninstalled ${m.prefix}${o.purge ? '' : ` (kept ${m.config}; --purge removes it)`}`);
    });
}
