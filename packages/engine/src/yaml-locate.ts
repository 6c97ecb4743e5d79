/**
 * Maps a path into the parsed value back to a line and column of the YAML source, so
 * every problem points at the place the author has to change.
 */
import { isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter, Node, Pair } from 'yaml';
import type { PathSegment } from './scenario-issue.ts';

export interface Located {
  line: number;
  col: number;
}

function pairKey(pair: Pair): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

function startOf(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : undefined;
}

/**
 * Finds the source position for `path`. With `at: 'key'` it points at the key of the last
 * segment (for unknown keys); otherwise at its value. Falls back to the deepest node found.
 */
export function locatePath(doc: Document, counter: LineCounter, path: readonly PathSegment[], at: 'key' | 'value' = 'value'): Located {
  let current: unknown = doc.contents;
  let best = startOf(current) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isAlias(current)) current = current.resolve(doc);
    if (isMap(current)) {
      const pair = current.items.find((p) => String(pairKey(p)) === String(seg));
      if (!pair) break;
      if (last && at === 'key') {
        best = startOf(pair.key) ?? best;
        break;
      }
      current = pair.value;
      best = startOf(current) ?? startOf(pair.key) ?? best;
    } else if (isSeq(current) && typeof seg === 'number') {
      const item = current.items[seg];
      if (item === undefined) break;
      current = isPair(item) ? item.value : (item as Node);
      best = startOf(current) ?? best;
    } else {
      break;
    }
  }
  const pos = counter.linePos(best);
  return { line: pos.line, col: pos.col };
}
