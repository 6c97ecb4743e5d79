/**
 * Reads the settings from their three places — flags, environment, pudu.yaml — and
 * checks every value against the key table. Every problem is reported at once, each with
 * where it came from: `pudu.yaml:3:9`, `--port`, `PUDU_PORT`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isScalar, type Document } from 'yaml';
import { PuduError, formatIssue } from '@pudu/schema';
import { locatePath } from '@pudu/engine';
import { CONFIG_KEYS, DEFAULT_CONFIG_FILE, normalizeValue, type ConfigKey, type ServerConfig } from './config-keys.ts';

export interface ConfigIssue {
  /** `file:line:col`, `--flag` or `ENV_VAR`. */
  at: string;
  key: string;
  message: string;
}

export type ConfigSource = 'flag' | 'env' | 'file' | 'default';

export interface LoadedConfig {
  config: ServerConfig;
  /** Where each set key came from. */
  sources: Record<string, ConfigSource>;
  /** The file that was read, if any. */
  file?: string;
  /** Tells where a key was set (for checks that look past the value's shape). */
  where(key: string): string;
}

interface FileValues {
  values: Record<string, unknown>;
  issues: ConfigIssue[];
  locate(path: (string | number)[], at?: 'key' | 'value'): string;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length]![b.length]!;
}

function suggestion(key: string): string {
  const norm = key.toLowerCase().replace(/-/g, '_');
  const best = CONFIG_KEYS.map((k) => ({ k: k.key, d: distance(norm, k.key) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= 3 ? ` (did you mean "${best.k}"?)` : ` (known keys: ${CONFIG_KEYS.map((k) => k.key).join(', ')})`;
}

/** Parses pudu.yaml: syntax errors, a non-mapping top level and unknown keys become issues with line:col. */
export function readConfigFile(file: string, text = readFileSync(file, 'utf8')): FileValues {
  const counter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const issues: ConfigIssue[] = [];
  const pos = (offset: number): string => {
    const p = counter.linePos(offset);
    return `${file}:${p.line}:${p.col}`;
  };
  const locate = (path: (string | number)[], at: 'key' | 'value' = 'value'): string => {
    const p = locatePath(doc, counter, path, at);
    return `${file}:${p.line}:${p.col}`;
  };
  for (const e of doc.errors) issues.push({ at: pos(e.pos[0]), key: '', message: `YAML: ${e.message.split('\n')[0]}` });
  if (doc.errors.length) return { values: {}, issues, locate };
  if (doc.contents === null) return { values: {}, issues, locate };
  if (!isMap(doc.contents)) {
    issues.push({ at: pos(doc.contents.range?.[0] ?? 0), key: '', message: 'the file must be a mapping of settings (key: value)' });
    return { values: {}, issues, locate };
  }
  const js = doc.toJS() as Record<string, unknown>;
  const values: Record<string, unknown> = {};
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    if (!CONFIG_KEYS.some((k) => k.key === key)) {
      issues.push({ at: locate([key], 'key'), key, message: `unknown setting "${key}"${suggestion(key)}` });
      continue;
    }
    values[key] = js[key];
  }
  return { values, issues, locate };
}

/** The first problem of a value: where inside it (list index) and what. */
function zodProblem(k: ConfigKey, value: unknown): { path: (string | number)[]; message: string } | undefined {
  const r = k.schema.safeParse(value);
  if (r.success) return undefined;
  const issue = r.error.issues[0]!;
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const message = issue.code === 'invalid_type' ? `expected ${issue.expected}, got ${JSON.stringify(value)}` : issue.message;
  return { path, message: `${path.length ? `[${path.join('.')}] ` : ''}${message}` };
}

export interface LoadOptions {
  /** Values given as flags, by key (commander's parse, already normalised per kind). */
  flags?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** Config file; undefined → $PUDU_CONFIG, else /etc/pudu/pudu.yaml when it exists. */
  file?: string;
  /** The file read when none is named and it exists (default /etc/pudu/pudu.yaml); a named file must exist. */
  defaultFile?: string;
}

/** The config file to read: --config, $PUDU_CONFIG, else the default when it exists. */
export function configFilePath(explicit: string | undefined, env: NodeJS.ProcessEnv, defaultFile = DEFAULT_CONFIG_FILE): string | undefined {
  const f = explicit ?? env.PUDU_CONFIG;
  if (f) return f;
  return existsSync(defaultFile) ? defaultFile : undefined;
}

/** Merges flags > env > file > defaults, validating each value where it was given; invalid values are left out. */
export function collectConfig(o: LoadOptions = {}): LoadedConfig & { issues: ConfigIssue[] } {
  const env = o.env ?? process.env;
  const issues: ConfigIssue[] = [];
  const file = configFilePath(o.file, env, o.defaultFile);
  let fromFile: FileValues | undefined;
  if (file) {
    if (!existsSync(file)) issues.push({ at: file, key: '', message: 'config file not found' });
    else fromFile = readConfigFile(file);
    issues.push(...(fromFile?.issues ?? []));
  }
  const config: Record<string, unknown> = {};
  const sources: Record<string, ConfigSource> = {};
  const places: Record<string, string> = {};
  for (const k of CONFIG_KEYS) {
    const flag = o.flags?.[k.key];
    const envText = env[k.env];
    let value: unknown;
    let at: string;
    let locate: ((path: (string | number)[]) => string) | undefined;
    if (flag !== undefined) {
      value = normalizeValue(k, flag);
      at = k.flag;
      sources[k.key] = 'flag';
    } else if (envText !== undefined && envText !== '') {
      value = normalizeValue(k, envText);
      at = k.env;
      sources[k.key] = 'env';
    } else if (fromFile && k.key in fromFile.values) {
      value = normalizeValue(k, fromFile.values[k.key]);
      at = fromFile.locate([k.key]);
      locate = fromFile.locate;
      sources[k.key] = 'file';
    } else {
      if (k.default) {
        config[k.key] = k.default();
        sources[k.key] = 'default';
      }
      continue;
    }
    places[k.key] = at;
    const problem = zodProblem(k, value);
    if (problem) issues.push({ at: locate ? locate([k.key, ...problem.path]) : at, key: k.key, message: problem.message });
    else config[k.key] = value;
  }
  return {
    config: config as unknown as ServerConfig,
    sources,
    file,
    issues,
    where: (key) => places[key] ?? `${key} (default)`,
  };
}

/** collectConfig, throwing CONFIG_INVALID that lists every issue. */
export function loadConfig(o: LoadOptions = {}): LoadedConfig {
  const { issues, ...loaded } = collectConfig(o);
  if (issues.length) throw configError(issues);
  return loaded;
}

/** One error for a list of issues; `details.issues` keeps them for --json. */
export function configError(issues: ConfigIssue[]): PuduError {
  return new PuduError('CONFIG_INVALID', `invalid configuration:\n  ${formatIssues(issues).join('\n  ')}`, { issues });
}

/** `where: key: message` lines, in the order found. */
export function formatIssues(issues: ConfigIssue[]): string[] {
  return issues.map((i) => formatIssue({ file: i.at, path: i.key, message: i.message }));
}
