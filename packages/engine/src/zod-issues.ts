/**
 * Turns zod's issues into messages a scenario author understands: the actual value,
 * the expected values, and a "did you mean" for typos in keys and enum values.
 */
import type { z } from 'zod';
import { closestMatch, didYouMean } from './did-you-mean.ts';
import type { PathSegment } from './scenario-issue.ts';

/** A problem before it is located in the source. */
export interface RawIssue {
  path: PathSegment[];
  message: string;
  /** Point at the key rather than its value (unknown keys). */
  at?: 'key' | 'value';
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** The object keys the schema allows at `path`, for suggestions. */
export function knownKeysAt(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let s: z.ZodType | undefined = schema;
  let i = 0;
  while (s) {
    const def = defOf(s);
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe') s = def.in;
    else if (i === path.length) return def.shape ? Object.keys(def.shape) : [];
    else if (def.type === 'object') s = def.shape?.[String(path[i++])];
    else if (def.type === 'array') {
      s = def.element;
      i++;
    } else return [];
  }
  return [];
}

export function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return `${typeof value} ${String(value)}`;
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

/** Converts zod issues for `root` (validated by `schema`) into located-later issues under `prefix`. */
export function convertZodIssues(issues: readonly z.core.$ZodIssue[], root: unknown, schema: z.ZodType, prefix: PathSegment[] = []): RawIssue[] {
  const out: RawIssue[] = [];
  // A typo'd key also makes the intended key "missing": report the typo once, not twice.
  const suggested = new Set<string>();
  for (const issue of issues) {
    const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
    const full = [...prefix, ...path];
    const actual = valueAt(root, path);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeysAt(schema, path);
        for (const key of issue.keys) {
          const hint = didYouMean(key, known);
          const match = closestMatch(key, known);
          if (match !== undefined) suggested.add(JSON.stringify([...full, match]));
          out.push({ path: [...full, key], at: 'key', message: `unknown key "${key}"${hint || (known.length ? `; allowed: ${known.join(', ')}` : '')}` });
        }
        break;
      }
      case 'invalid_value': {
        const allowed = issue.values.map(String);
        const hint = typeof actual === 'string' ? didYouMean(actual, allowed) : '';
        out.push({
          path: full,
          message: actual === undefined
            ? `missing required key "${String(full[full.length - 1])}" (one of ${allowed.join(', ')})`
            : `unknown value ${describe(actual)}; expected one of ${allowed.join(', ')}${hint}`,
        });
        break;
      }
      case 'invalid_type':
        out.push({
          path: full,
          message: actual === undefined ? `missing required key "${String(full[full.length - 1])}" (${TYPE_WORDS[issue.expected] ?? issue.expected})` : `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}, got ${describe(actual)}`,
        });
        break;
      case 'invalid_union':
        out.push({ path: full, message: `${describe(actual)} is not allowed here: ${issue.message}` });
        break;
      case 'too_small':
        out.push({ path: full, message: issue.origin === 'array' ? `needs at least ${issue.minimum} item(s)` : issue.origin === 'string' ? 'must not be empty' : `must be ${issue.inclusive ? '≥' : '>'} ${issue.minimum}, got ${describe(actual)}` });
        break;
      case 'too_big':
        out.push({ path: full, message: issue.origin === 'array' ? `allows at most ${issue.maximum} item(s)` : `must be ${issue.inclusive ? '≤' : '<'} ${issue.maximum}, got ${describe(actual)}` });
        break;
      default:
        out.push({ path: full, message: `${issue.message}${actual !== undefined && typeof actual !== 'object' ? `, got ${describe(actual)}` : ''}` });
    }
  }
  return out.filter((i) => !(i.message.startsWith('missing required key') && suggested.has(JSON.stringify(i.path))));
}
