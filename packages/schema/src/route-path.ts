/** Shared by the API's and the agent's route tables (kept apart so the agent's bundle needs neither the other's schemas). */

/** `path` with the defined entries of `query` as its query string. */
export function withQuery(path: string, query: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}
