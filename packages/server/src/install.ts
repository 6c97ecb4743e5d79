/**
 * `pudu install` / `pudu uninstall`: puts the built server in place as a service and takes
 * it away again. The install is the runtime part of the checkout (bundles, web UI, scenario
 * library, the sources the guest image is built from, the native modules the bundle loads)
 * under a prefix, a settings file, a systemd unit checked with `systemd-analyze verify`, and
 * a manifest of everything it created, which is what uninstall removes — nothing else.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { PuduError } from '@pudu/schema';
import type { DriverChoice } from '@pudu/drivers';
import { renderUnit } from './install-unit.ts';
import { renderConfigTemplate } from './config-template.ts';

/** What the bundle loads from node_modules at run time, and what `pudu assets` bundles the app-server with. */
const RUNTIME_MODULES = ['better-sqlite3', 'ssh2', 'pg', 'cpu-features', 'esbuild'];
/** Paths of the checkout the installed server needs (relative; directories copied whole, tests left out). */
const RUNTIME_PATHS = ['pudu', 'pudu-agent', 'puduc/puduc', 'package.json', 'README.md', 'scenarios', 'dist/web', 'docs', 'deploy', 'packages/app-server', 'packages/agent/native'];
const MANIFEST = 'install-manifest.json';

export interface InstallOptions {
  /** The checkout to install from (has the built ./pudu). */
  source: string;
  prefix: string;
  binDir: string;
  configDir: string;
  unitDir: string;
  /** Staging root (packaging, tests): paths are written below it, nothing on the host is touched. */
  destdir: string;
  driver: DriverChoice;
  node: string;
  log: (msg: string) => void;
}

export interface InstallManifest {
  prefix: string;
  /** Everything created, absolute (without destdir), removed in reverse order by uninstall. */
  created: string[];
  unit: string;
  config: string;
  /** Whether install wrote the settings file (uninstall keeps it unless --purge). */
  configCreated: boolean;
}

/** The package directories `names` needs at run time: them and their dependencies, recursively (optional ones if present). */
export function moduleClosure(nodeModules: string, names: string[]): string[] {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    const pkg = join(nodeModules, name, 'package.json');
    if (!existsSync(pkg)) return;
    seen.add(name);
    const p = JSON.parse(readFileSync(pkg, 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    for (const d of Object.keys({ ...p.dependencies, ...p.optionalDependencies })) visit(d);
  };
  names.forEach(visit);
  return [...seen].sort();
}

function isTestFile(path: string): boolean {
  return /\.test\.ts$/.test(path);
}

/** Installs; returns the manifest. Throws ASSETS_MISSING when the checkout is not built. */
export function install(o: InstallOptions): InstallManifest {
  for (const f of ['pudu', 'pudu-agent', 'puduc/puduc', 'dist/web/index.html']) {
    if (!existsSync(join(o.source, f))) throw new PuduError('ASSETS_MISSING', `${f} is not built: run make build first`);
  }
  const at = (p: string): string => join(o.destdir, p);
  // A reinstall keeps what the first install created (its directories exist now, so would not be recorded again).
  const previous = existsSync(at(join(o.prefix, MANIFEST))) ? readManifest(o.destdir, o.prefix).created : [];
  const created: string[] = [...previous];
  const mkdirs = (dir: string): void => {
    const missing: string[] = [];
    for (let d = dir; !existsSync(at(d)) && d !== dirname(d); d = dirname(d)) missing.unshift(d);
    for (const d of missing) {
      mkdirSync(at(d));
      created.push(d);
    }
  };
  const copy = (rel: string): void => {
    const from = join(o.source, rel);
    if (!existsSync(from)) return;
    const to = join(o.prefix, rel);
    mkdirs(dirname(to));
    cpSync(from, at(to), { recursive: true, filter: (src) => !isTestFile(src) });
    created.push(to);
  };
  if (o.destdir) mkdirSync(o.destdir, { recursive: true });
  mkdirs(o.prefix);
  for (const rel of RUNTIME_PATHS) copy(rel);
  for (const m of moduleClosure(join(o.source, 'node_modules'), RUNTIME_MODULES)) copy(join('node_modules', m));
  o.log(`installed ${o.prefix} (${RUNTIME_PATHS.length} paths, ${moduleClosure(join(o.source, 'node_modules'), RUNTIME_MODULES).length} runtime modules)`);

  mkdirs(o.binDir);
  for (const [name, target] of [['pudu', 'pudu'], ['puduc', 'puduc/puduc']] as const) {
    const link = join(o.binDir, name);
    rmSync(at(link), { force: true });
    symlinkSync(join(o.prefix, target), at(link));
    created.push(link);
  }

  const config = join(o.configDir, 'pudu.yaml');
  const configCreated = !existsSync(at(config));
  if (configCreated) {
    mkdirs(o.configDir);
    writeFileSync(at(config), renderConfigTemplate({ driver: o.driver, prefix: o.prefix }), { mode: 0o640 });
    created.push(config);
    o.log(`wrote ${config}`);
  } else {
    o.log(`kept the existing ${config}`);
  }

  const unit = join(o.unitDir, 'pudu.service');
  mkdirs(o.unitDir);
  writeFileSync(at(unit), renderUnit({ node: o.node, prefix: o.prefix, configFile: config, driver: o.driver }));
  chmodSync(at(unit), 0o644);
  created.push(unit);
  const manifest: InstallManifest = { prefix: o.prefix, created: [...new Set(created)], unit, config, configCreated };
  writeFileSync(at(join(o.prefix, MANIFEST)), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** `systemd-analyze verify` of the written unit: its complaints, or [] when it is clean. */
export function verifyUnit(unitFile: string): string[] {
  const r = spawnSync('systemd-analyze', ['verify', unitFile], { encoding: 'utf8' });
  if (r.error) return [`systemd-analyze not available: ${r.error.message}`];
  const out = `${r.stdout}${r.stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
  return r.status === 0 && out.length === 0 ? [] : out.length ? out : [`systemd-analyze verify exited ${r.status}`];
}

/** True when systemd runs this machine (PID 1), so systemctl can enable the unit. */
export function systemdIsInit(): boolean {
  try {
    return readlinkSync('/proc/1/exe').endsWith('/systemd') || existsSync('/run/systemd/system');
  } catch {
    return existsSync('/run/systemd/system');
  }
}

/** Reads the manifest of an install under `prefix` (inside `destdir`). */
export function readManifest(destdir: string, prefix: string): InstallManifest {
  const file = join(destdir, prefix, MANIFEST);
  if (!existsSync(file)) throw new PuduError('NOT_FOUND', `no Pudu install at ${prefix} (${relative(destdir || '/', file)} missing)`);
  return JSON.parse(readFileSync(file, 'utf8')) as InstallManifest;
}

/**
 * Removes what install created: the prefix, the links, the unit, the directories it made
 * when they are empty again (never a directory someone else put files in), the settings
 * file only with `purge` (with the state and cache directories). Returns what it removed.
 */
export function uninstall(destdir: string, prefix: string, o: { purge: boolean }): string[] {
  const m = readManifest(destdir, prefix);
  const removed: string[] = [];
  const inPrefix = (p: string): boolean => p === m.prefix || p.startsWith(`${m.prefix}/`);
  rmSync(join(destdir, m.prefix), { recursive: true, force: true });
  removed.push(m.prefix);
  for (const p of [...m.created].reverse()) {
    if (inPrefix(p) || (p === m.config && !o.purge)) continue;
    const abs = join(destdir, p);
    let isDir: boolean;
    try {
      isDir = lstatSync(abs).isDirectory();
    } catch {
      continue;
    }
    if (isDir && readdirSync(abs).length > 0) continue;
    rmSync(abs, { recursive: true, force: true });
    removed.push(p);
  }
  if (o.purge) {
    for (const d of [dirname(m.config), '/var/lib/pudu', '/var/cache/pudu']) {
      if (!existsSync(join(destdir, d))) continue;
      rmSync(join(destdir, d), { recursive: true, force: true });
      removed.push(d);
    }
  }
  return removed;
}
