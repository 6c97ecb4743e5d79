/**
 * Builds the guest image from Debian packages, cached by a hash of the recipe.
 *
 * Two layers so that a new agent bundle does not re-run debootstrap:
 *   <cache>/image/base-<hash>/rootfs   debootstrap minbase + GUEST_PACKAGES (minutes, rarely rebuilt)
 *   <cache>/image/<hash>/              base + Pudu's files, node, agent, app-server (seconds)
 *     rootfs/       lower layer of the sandbox driver's overlay (never modified once built)
 *     rootfs.ext4   the same tree for QEMU/Firecracker
 *     ssh/          the key pair the server logs in with + the guest's host key (known_hosts)
 * Every directory is built under a temporary name and renamed into place, so a crash or
 * a concurrent build never leaves a half-built image behind a valid name.
 */
import { useLabUmask } from '../util/umask.ts';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PuduError } from '@pudu/schema';
import { run } from '../util/exec.ts';
import { buildKernelAssets, type KernelAssets } from '../kernel/index.ts';
import { DEBIAN_MIRROR, DEBIAN_SUITE, GUEST_PACKAGES, MASKED_UNITS, TIER_SERVICES, hashRecipe } from './recipe.ts';
import { GUEST_AGENT_PATH, GUEST_AGENT_WRAPPER_PATH, GUEST_APP_SERVER_PATH, GUEST_FILES, GUEST_NATIVE_DIR, GUEST_NODE_PATH } from './guest-files.ts';
import { PG_CONF, PG_HBA_PREPEND, PG_LAB_SQL, setupLabPostgres } from './lab-postgres.ts';
import { findRepoRoot } from './repo-root.ts';
import { KEEP_IMAGES, pruneGuestImages, removeImageDir } from './prune-images.ts';
import { IMAGE_AGE_MS, backdateImage } from './backdate-image.ts';

/** Bump when the build steps change in a way the hashed inputs do not show. */
const IMAGE_RECIPE_VERSION = 3;
const EXT4_SLACK_FACTOR = 1.25;
const EXT4_SLACK_MB = 128;

export interface BuildGuestImageOptions {
  /** Default $PUDU_CACHE_DIR or /var/cache/pudu. */
  cacheDir?: string;
  /** Rebuild both layers even when cached. */
  force?: boolean;
  onProgress?: (msg: string) => void;
  /** The bundled agent (default ./pudu-agent of the checkout; build it with `node scripts/build.mjs pudu-agent`). */
  agentPath?: string;
  /** A prebuilt app-server bundle; default: bundled from packages/app-server. */
  appServerPath?: string;
  /** The agent's NFQUEUE handler binary (default: built from packages/agent/native with gcc). */
  nfqPath?: string;
  /** The node binary copied into the guest (default: the one running Pudu). */
  nodePath?: string;
  /** Also build the kernel assets for QEMU/Firecracker (default true). */
  kernel?: boolean;
}

export interface GuestImage {
  key: string;
  dir: string;
  rootfsDir: string;
  rootfsExt4: string;
  /** Private key the server uses for `ssh root@<guest>`; its public half is in /root/.ssh/authorized_keys. */
  sshPrivateKey: string;
  sshPublicKey: string;
  /** The guest's ed25519 host public key (`ssh-ed25519 AAAA…`), for known_hosts. */
  hostKeyPublic: string;
  kernel?: Pick<KernelAssets, 'vmlinuz' | 'vmlinux' | 'initrd' | 'kernelVersion'>;
  /** True when nothing had to be built. */
  cached: boolean;
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Sources of the app-server bundle: its code, its bundler script and the pg modules it inlines. */
const APP_SERVER_SOURCES = ['packages/app-server/src', 'packages/app-server/build.mjs', 'node_modules/pg/package.json', 'node_modules/pg-pool/package.json', 'node_modules/pg-protocol/package.json', 'node_modules/pg-types/package.json'];
const NFQ_SOURCES = ['packages/agent/native'];

/** Hashes files (recursively for directories, test files excluded) relative to root; missing paths hash as absent. */
function hashSources(root: string, paths: string[]): string {
  const h = createHash('sha256');
  const add = (rel: string): void => {
    const abs = join(root, rel);
    let st;
    try {
      st = statSync(abs);
    } catch {
      h.update(`absent ${rel}\n`);
      return;
    }
    if (st.isDirectory()) {
      for (const e of readdirSync(abs).sort()) if (!e.endsWith('.test.ts')) add(join(rel, e));
    } else {
      h.update(`${rel}\n`).update(readFileSync(abs));
    }
  };
  for (const p of paths) add(p);
  return h.digest('hex');
}

/** The default cache directory. */
export function defaultCacheDir(): string {
  return process.env.PUDU_CACHE_DIR ?? '/var/cache/pudu';
}

/** Files a usable final layer has; the manifest is written last and removed first, the rest is checked too. */
const IMAGE_FILES = ['manifest.json', 'rootfs.ext4', 'ssh/id_ed25519', 'ssh/id_ed25519.pub', 'ssh/ssh_host_ed25519_key.pub', 'rootfs/lib/systemd/systemd'];

function isCompleteImage(dir: string): boolean {
  return IMAGE_FILES.every((f) => existsSync(join(dir, f)));
}

function imageDirs(cacheDir: string, key: string) {
  const dir = join(cacheDir, 'image', key);
  return { dir, rootfsDir: join(dir, 'rootfs'), rootfsExt4: join(dir, 'rootfs.ext4'), sshPrivateKey: join(dir, 'ssh', 'id_ed25519'), manifest: join(dir, 'manifest.json') };
}

async function buildBase(cacheDir: string, force: boolean, progress: (m: string) => void): Promise<string> {
  const key = hashRecipe({ IMAGE_RECIPE_VERSION, DEBIAN_SUITE, DEBIAN_MIRROR, GUEST_PACKAGES });
  const dir = join(cacheDir, 'image', `base-${key}`);
  if (!force && existsSync(join(dir, '.complete'))) {
    progress(`image: base layer cached (${dir})`);
    return join(dir, 'rootfs');
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  removeImageDir(tmp);
  mkdirSync(join(cacheDir, 'debs'), { recursive: true });
  mkdirSync(tmp, { recursive: true });
  progress(`image: debootstrap ${DEBIAN_SUITE} with ${GUEST_PACKAGES.length} packages (a few minutes on first run)`);
  let lastShown = 0;
  let lastPhase = '';
  try {
    await run('debootstrap', [
      '--variant=minbase', `--cache-dir=${join(cacheDir, 'debs')}`, `--include=${GUEST_PACKAGES.join(',')}`,
      DEBIAN_SUITE, join(tmp, 'rootfs'), DEBIAN_MIRROR,
    ], {
      errorCode: 'ASSETS_MISSING',
      onLine: (line) => {
        // debootstrap prints one line per package: show every phase change, else at most one line per 2 s.
        if (!line.startsWith('I: ')) return;
        const now = Date.now();
        const phase = line.split(' ')[1] ?? '';
        if (phase !== lastPhase || now - lastShown > 2000) {
          lastShown = now;
          lastPhase = phase;
          progress(`image: ${line.slice(3)}`);
        }
      },
    });
  } catch (e) {
    removeImageDir(tmp);
    if ((e as PuduError).message.includes('cannot run debootstrap')) {
      throw new PuduError('ASSETS_MISSING', 'debootstrap not found: apt-get install debootstrap');
    }
    throw e;
  }
  writeFileSync(join(tmp, '.complete'), `${new Date().toISOString()}\n`);
  installDir(tmp, dir, force);
  progress('image: base layer built');
  return join(dir, 'rootfs');
}

/**
 * Moves a finished build into place. Another process may have built the same key meanwhile:
 * its copy is as good as ours and may be in use, so ours is dropped — unless this is a --force
 * rebuild, which swaps with two renames (readers never see a half-removed directory).
 */
function installDir(tmp: string, dir: string, force: boolean): void {
  if (existsSync(join(dir, 'manifest.json')) || existsSync(join(dir, '.complete'))) {
    if (!force) {
      rmSync(tmp, { recursive: true, force: true });
      return;
    }
    const old = `${dir}.old-${process.pid}`;
    renameSync(dir, old);
    renameSync(tmp, dir);
    removeImageDir(old);
    return;
  }
  // Remains of an interrupted removal: not an image, replace them.
  if (existsSync(dir)) removeImageDir(dir);
  renameSync(tmp, dir);
}

function writeGuestFile(root: string, guestPath: string, content: string, mode = 0o644): void {
  const p = join(root, guestPath);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content, { mode });
}

function forceSymlink(target: string, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  try { unlinkSync(path); } catch { /* absent */ }
  symlinkSync(target, path);
}

async function customize(root: string, inputs: { node: string; agent: string; appServer: string; nfq: string }, sshDir: string): Promise<void> {
  await run('chroot', [root, 'sh', '-c', 'echo root:root | chpasswd && (id app >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin app) && mkdir -p /var/log/app && chown app:app /var/log/app && ssh-keygen -A']);
  for (const [p, content] of Object.entries(GUEST_FILES)) writeGuestFile(root, p, content, p === GUEST_AGENT_WRAPPER_PATH ? 0o755 : 0o644);
  await setupLabPostgres(root);
  copyFileSync(inputs.node, join(root, GUEST_NODE_PATH));
  chmodSync(join(root, GUEST_NODE_PATH), 0o755);
  mkdirSync(dirname(join(root, GUEST_AGENT_PATH)), { recursive: true });
  // copyFileSync keeps the source's mode, and a checkout or build made under umask 077 has 0600:
  // the app-server runs as `app`, so every copied file gets its mode here.
  copyFileSync(inputs.agent, join(root, GUEST_AGENT_PATH));
  chmodSync(join(root, GUEST_AGENT_PATH), 0o644);
  copyFileSync(inputs.nfq, join(root, GUEST_NATIVE_DIR, 'pudu-nfq'));
  chmodSync(join(root, GUEST_NATIVE_DIR, 'pudu-nfq'), 0o755);
  mkdirSync(dirname(join(root, GUEST_APP_SERVER_PATH)), { recursive: true });
  copyFileSync(inputs.appServer, join(root, GUEST_APP_SERVER_PATH));
  chmodSync(join(root, GUEST_APP_SERVER_PATH), 0o644);
  const sys = join(root, 'etc/systemd/system');
  forceSymlink('/etc/systemd/system/pudu-agent.service', join(sys, 'multi-user.target.wants/pudu-agent.service'));
  // Tier services start only where the tier lists them: the driver enables them per VM.
  for (const s of TIER_SERVICES) rmSync(join(sys, `multi-user.target.wants/${s}.service`), { force: true });
  for (const u of MASKED_UNITS) forceSymlink('/dev/null', join(sys, u));
  // An empty machine-id makes systemd generate one per boot without "first boot" presets.
  writeFileSync(join(root, 'etc/machine-id'), '');
  rmSync(join(root, 'var/lib/dbus/machine-id'), { force: true });
  await run('sh', ['-c', `rm -rf '${root}'/var/cache/apt/archives/*.deb '${root}'/var/lib/apt/lists/* '${root}'/tmp/*`]);
  mkdirSync(sshDir, { recursive: true });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'pudu-server', '-f', join(sshDir, 'id_ed25519')]);
  const pub = readFileSync(join(sshDir, 'id_ed25519.pub'), 'utf8');
  writeGuestFile(root, '/root/.ssh/authorized_keys', pub, 0o600);
  chmodSync(join(root, 'root/.ssh'), 0o700);
  copyFileSync(join(root, 'etc/ssh/ssh_host_ed25519_key.pub'), join(sshDir, 'ssh_host_ed25519_key.pub'));
}

async function bundleAppServer(repoRoot: string, out: string): Promise<void> {
  const script = join(repoRoot, 'packages/app-server/build.mjs');
  if (!existsSync(script)) throw new PuduError('ASSETS_MISSING', `cannot bundle the app-server: ${script} not found (run from the Pudu checkout or pass appServerPath)`);
  await run(process.execPath, [script, out], { cwd: repoRoot, errorCode: 'ASSETS_MISSING' });
}

/**
 * Builds the guest image (or returns it from the cache in well under a second).
 * Needs root, debootstrap, chroot, mkfs.ext4 and ssh-keygen.
 */
export function buildGuestImage(opts: BuildGuestImageOptions = {}): Promise<GuestImage> {
  useLabUmask(opts.onProgress);
  // Scratch directories are named by PID: parallel callers in one process share one build.
  const { onProgress: _progress, ...what } = opts;
  const key = JSON.stringify({ ...what, cacheDir: resolve(opts.cacheDir ?? defaultCacheDir()) });
  const running = inFlight.get(key);
  if (running) return running;
  const build = buildGuestImageNow(opts).finally(() => inFlight.delete(key));
  inFlight.set(key, build);
  return build;
}

const inFlight = new Map<string, Promise<GuestImage>>();

async function buildGuestImageNow(opts: BuildGuestImageOptions): Promise<GuestImage> {
  const started = Date.now();
  const progress = opts.onProgress ?? (() => {});
  const cacheDir = resolve(opts.cacheDir ?? defaultCacheDir());
  const repoRoot = findRepoRoot();
  const agent = resolve(opts.agentPath ?? join(repoRoot ?? '.', 'pudu-agent'));
  if (!existsSync(agent)) throw new PuduError('ASSETS_MISSING', `agent bundle ${agent} not found: run \`node scripts/build.mjs pudu-agent\` (or make build) first`);
  const node = opts.nodePath ?? process.execPath;
  const scratch = join(cacheDir, 'image', `.inputs-${process.pid}`);
  mkdirSync(scratch, { recursive: true });
  try {
    // The app-server bundle and pudu-nfq are keyed by their sources, so a cache hit builds neither.
    if (!opts.appServerPath && !repoRoot) throw new PuduError('ASSETS_MISSING', 'cannot find the Pudu checkout to bundle the app-server: pass appServerPath');
    const nfqScript = join(repoRoot ?? '.', 'packages/agent/native/build.sh');
    if (!opts.nfqPath && !existsSync(nfqScript)) throw new PuduError('ASSETS_MISSING', `cannot build pudu-nfq: ${nfqScript} not found (pass nfqPath)`);
    const appServerKey = opts.appServerPath ? sha256File(opts.appServerPath) : hashSources(repoRoot!, APP_SERVER_SOURCES);
    const nfqKey = opts.nfqPath ? sha256File(opts.nfqPath) : hashSources(repoRoot!, NFQ_SOURCES);
    const buildInputs = async (): Promise<{ appServer: string; nfq: string }> => {
      let appServer = opts.appServerPath;
      if (!appServer) {
        appServer = join(scratch, 'app-server.mjs');
        await bundleAppServer(repoRoot!, appServer);
      }
      let nfq = opts.nfqPath;
      if (!nfq) {
        try {
          nfq = (await run('bash', [nfqScript, scratch], { errorCode: 'ASSETS_MISSING' })).stdout.trim().split('\n').pop()!;
        } catch (e) {
          throw new PuduError('ASSETS_MISSING', `building pudu-nfq failed (apt-get install gcc libnetfilter-queue-dev): ${(e as Error).message}`);
        }
      }
      return { appServer, nfq };
    };
    const kernel = opts.kernel === false ? undefined : await buildKernelAssets({ cacheDir, force: opts.force, onProgress: progress });
    const baseRootfs = await buildBase(cacheDir, opts.force ?? false, progress);
    const key = hashRecipe({
      IMAGE_RECIPE_VERSION, base: baseRootfs, GUEST_FILES, PG_CONF, PG_HBA_PREPEND, PG_LAB_SQL, MASKED_UNITS, TIER_SERVICES,
      node: { version: process.version, size: statSync(node).size, path: node },
      agent: sha256File(agent), appServer: appServerKey, nfq: nfqKey, kernel: kernel?.hash ?? null,
      // The final layer's own build steps (the base layer's key does not change with them).
      backdatedMs: IMAGE_AGE_MS,
    });
    const d = imageDirs(cacheDir, key);
    const result = (cached: boolean): GuestImage => ({
      key, dir: d.dir, rootfsDir: d.rootfsDir, rootfsExt4: d.rootfsExt4, sshPrivateKey: d.sshPrivateKey,
      sshPublicKey: readFileSync(`${d.sshPrivateKey}.pub`, 'utf8').trim(),
      hostKeyPublic: readFileSync(join(d.dir, 'ssh', 'ssh_host_ed25519_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' '),
      ...(kernel ? { kernel: { vmlinuz: kernel.vmlinuz, vmlinux: kernel.vmlinux, initrd: kernel.initrd, kernelVersion: kernel.kernelVersion } } : {}),
      cached,
    });
    if (!opts.force && isCompleteImage(d.dir)) {
      progress(`image: cache hit ${key} (${d.dir}) in ${Date.now() - started} ms`);
      return result(!kernel?.built);
    }
    const tmp = `${d.dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      progress('image: bundling the app-server, building pudu-nfq, copying the base layer');
      const [{ appServer, nfq }] = await Promise.all([buildInputs(), run('cp', ['-a', '--reflink=auto', baseRootfs, join(tmp, 'rootfs')])]);
      progress('image: installing node, pudu-agent, app-server and configuration');
      await customize(join(tmp, 'rootfs'), { node, agent, appServer, nfq }, join(tmp, 'ssh'));
      if (kernel) {
        progress(`image: adding kernel modules ${kernel.kernelVersion}`);
        mkdirSync(join(tmp, 'rootfs/lib/modules'), { recursive: true });
        await run('cp', ['-a', kernel.modulesDir, join(tmp, 'rootfs/lib/modules/')]);
      }
      // Last of all changes to the tree: a lab VM must not look installed an hour ago.
      backdateImage(join(tmp, 'rootfs'), started);
      const usedMb = Number((await run('du', ['-sm', join(tmp, 'rootfs')])).stdout.split('\t')[0]);
      const sizeMb = Math.ceil(usedMb * EXT4_SLACK_FACTOR + EXT4_SLACK_MB);
      progress(`image: packing rootfs.ext4 (${sizeMb} MB)`);
      await run('mkfs.ext4', ['-q', '-F', '-L', 'pudu-root', '-d', join(tmp, 'rootfs'), join(tmp, 'rootfs.ext4'), `${sizeMb}M`], { errorCode: 'ASSETS_MISSING' });
      writeFileSync(join(tmp, 'manifest.json'), `${JSON.stringify({ key, builtAt: new Date().toISOString(), packages: GUEST_PACKAGES, sizeMb, node: process.version }, null, 2)}\n`);
      installDir(tmp, d.dir, opts.force ?? false);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    for (const old of pruneGuestImages(cacheDir, KEEP_IMAGES, [d.dir])) progress(`image: removed unused old image ${old}`);
    progress(`image: built ${key} in ${((Date.now() - started) / 1000).toFixed(1)} s → ${d.dir}`);
    return result(false);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
