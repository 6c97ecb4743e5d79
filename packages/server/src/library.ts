/**
 * The server's scenario library: YAML files under one directory, named by their path
 * without `.yaml` (`monolith/disk-full`). Runs name a library entry; clients never send
 * a server-side path, and names cannot leave the directory.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { PuduError, type LibraryEntry } from '@pudu/schema';
import { compileScenario, parseScenario } from '@pudu/engine';

const NAME_RE = /^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*$/i;

async function walk(dir: string, out: string[]): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out;
}

export class Library {
  constructor(readonly dir: string) {}

  /** Every valid scenario in the library (invalid files are skipped: `puduc scenario validate` reports them). */
  async list(): Promise<LibraryEntry[]> {
    const out: LibraryEntry[] = [];
    for (const file of (await walk(this.dir, [])).sort()) {
      const name = relative(this.dir, file).split(sep).join('/').replace(/\.ya?ml$/, '');
      const parsed = parseScenario(await readFile(file, 'utf8'), file);
      if (!parsed.ok) continue;
      const c = compileScenario(parsed.spec, {});
      out.push({ name, id: c.id, title: c.title, difficulty: c.difficulty, architecture: c.architecture, tags: c.tags, description: c.description, vms: c.vms.length });
    }
    return out;
  }

  /** The YAML text of a library scenario; SCENARIO_NOT_FOUND for unknown or unsafe names. */
  async read(name: string): Promise<{ name: string; file: string; yaml: string }> {
    const clean = name.replace(/\.ya?ml$/, '');
    if (!NAME_RE.test(clean)) throw new PuduError('SCENARIO_NOT_FOUND', `no library scenario "${name}" (names look like monolith/disk-full)`);
    for (const ext of ['.yaml', '.yml']) {
      const file = join(this.dir, ...clean.split('/')) + ext;
      const yaml = await readFile(file, 'utf8').catch(() => null);
      if (yaml !== null) return { name: clean, file: `scenarios/${clean}${ext}`, yaml };
    }
    const known = (await this.list().catch(() => [])).map((e) => e.name);
    throw new PuduError('SCENARIO_NOT_FOUND', `no library scenario "${name}"${known.length ? `; known: ${known.join(', ')}` : ''}`);
  }
}
