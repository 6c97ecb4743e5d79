/** One problem in a scenario file, located for the author. */
export interface ScenarioIssue {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
  /** Dotted path into the document, e.g. `faults[0].params.load`; empty for the whole file. */
  path: string;
  message: string;
}

export type PathSegment = string | number;

/** `faults[0].params.load` from ['faults', 0, 'params', 'load']. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

export { formatIssue } from '@pudu/schema';
