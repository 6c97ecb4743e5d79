/**
 * Policy patterns: `postgresql`, `mysql*`, `!nginx`, or a list of them. A value matches a
 * list when some plain pattern matches it (or the list has none) and no `!` pattern does.
 */
import type { Patterns } from '@pudu/schema';

const cache = new Map<string, RegExp>();

function globRe(glob: string): RegExp {
  let re = cache.get(glob);
  if (!re) {
    re = new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    cache.set(glob, re);
  }
  return re;
}

export function patternList(p: Patterns): string[] {
  return Array.isArray(p) ? p : [p];
}

function split(p: Patterns): { plain: string[]; excluded: string[] } {
  const list = patternList(p);
  return { plain: list.filter((x) => !x.startsWith('!')), excluded: list.filter((x) => x.startsWith('!')).map((x) => x.slice(1)) };
}

/** Does one value match the patterns? */
export function matchesValue(p: Patterns, value: string): boolean {
  return matchesAnyOf(p, [value]);
}

/**
 * Does a set of values match: some value matches a plain pattern (or there is none), and no
 * value matches an excluded one. For a role set or a VM's services.
 */
export function matchesAnyOf(p: Patterns, values: readonly string[]): boolean {
  const { plain, excluded } = split(p);
  if (values.some((v) => excluded.some((x) => globRe(x).test(v)))) return false;
  return plain.length === 0 || values.some((v) => plain.some((x) => globRe(x).test(v)));
}

/** `postgresql` or `[stop, restart]` for messages. */
export function describePatterns(p: Patterns): string {
  return Array.isArray(p) ? `[${p.join(', ')}]` : p;
}

/** True when the pattern could match this literal name (no wildcard, no negation). */
export function isLiteral(pattern: string): boolean {
  return !pattern.includes('*') && !pattern.startsWith('!');
}
