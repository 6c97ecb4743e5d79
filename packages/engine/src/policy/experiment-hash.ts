import { createHash } from 'node:crypto';

/**
 * What an approval is pinned to: the exact scenario text, the environment and the window.
 * The server and `puduc experiment check` compute it alike, so a CI job can say which
 * version its reviewers approved.
 */
export function experimentSha256(yaml: string, environment: string, window: string | null): string {
  return createHash('sha256').update(yaml).update('\0').update(environment).update('\0').update(window ?? '').digest('hex');
}
