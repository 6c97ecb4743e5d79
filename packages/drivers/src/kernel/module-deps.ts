/**
 * Resolves kernel module load order from a depmod `modules.dep` file, so the initramfs
 * loads `virtio`/`virtio_ring` before `virtio_blk` without shipping modprobe.
 */
import { PuduError } from '@pudu/schema';

/** Parses modules.dep into module name → {path, deps (paths)}. */
export function parseModulesDep(text: string): Map<string, { path: string; deps: string[] }> {
  const byName = new Map<string, { path: string; deps: string[] }>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const path = line.slice(0, colon).trim();
    const deps = line.slice(colon + 1).trim().split(/\s+/).filter(Boolean);
    byName.set(moduleNameOf(path), { path, deps });
  }
  return byName;
}

/** `kernel/drivers/net/virtio_net.ko(.xz)` → `virtio_net`; dashes and underscores are the same to the kernel. */
export function moduleNameOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return base.replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_');
}

/**
 * Module file paths (relative to /lib/modules/<ver>) in an order that loads every
 * dependency first. Names listed in `builtin` need no file and are skipped.
 */
export function resolveLoadOrder(wanted: string[], depText: string, builtin: Set<string> = new Set()): string[] {
  const deps = parseModulesDep(depText);
  const byPath = new Map([...deps.values()].map((d) => [d.path, d]));
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    const entry = byPath.get(path);
    // modules.dep lists a module's full closure, deepest last: load in reverse.
    for (const d of [...(entry?.deps ?? [])].reverse()) visit(d);
    order.push(path);
  };
  for (const name of wanted) {
    const key = name.replace(/-/g, '_');
    const entry = deps.get(key);
    if (!entry) {
      if (builtin.has(key)) continue;
      throw new PuduError('ASSETS_MISSING', `kernel module "${name}" is neither a module nor built into this kernel`);
    }
    visit(entry.path);
  }
  return order;
}

/** Parses modules.builtin (one path per line) into module names. */
export function parseBuiltin(text: string): Set<string> {
  return new Set(text.split('\n').filter(Boolean).map(moduleNameOf));
}
