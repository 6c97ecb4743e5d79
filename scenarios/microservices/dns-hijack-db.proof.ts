import type { ScenarioProof } from '../../test/scenarios/proof.ts';

/** With the stray line gone, the fleet's own entry for db-0 is back within a second or two. */
export const UNTIL_DB_RESOLVES = 'for i in $(seq 1 20); do getent hosts db-0 | grep -v 10.213.0 && exit 0; sleep 0.5; done; exit 1';

export default {
  probes: [
    {
      symptom: 'curl http://localhost/healthz on api-0 returns 503 with db unavailable',
      vm: 'api-0',
      run: `curl -s -m 15 -w ' %{http_code}' http://localhost/healthz`,
      expect: /"db":"[^"]*(timeout|timed out|connect|ECONNREFUSED|EHOSTUNREACH|ENOTFOUND)[^"]*".* 503$/i,
      // The app's pooled connections outlive the change; new ones fail within its idle timeout.
      timeoutMs: 90_000,
    },
    {
      symptom: 'getent hosts db-0 on api-0 gives an address outside the fleet',
      vm: 'api-0',
      run: 'getent hosts db-0',
      expect: /^10\.213\.0\.66\s+db-0/,
    },
    {
      symptom: 'psql from db-0 to itself works fine',
      vm: 'db-0',
      run: `su postgres -c "psql -tAc 'select 1'"`,
      expect: /^1$/,
    },
  ],
  solve: ['api-0', 'api-1'].map((vm) => ({
    vm,
    // The first /etc/hosts line for db-0 wins; keep the fleet's own entry, drop the stray one.
    run: `getent hosts db-0; grep -n 'db-0' /etc/hosts; sed -i '/^10\\.213\\.0\\.66[[:space:]]/d' /etc/hosts; ${UNTIL_DB_RESOLVES}`,
  })),
} satisfies ScenarioProof;
