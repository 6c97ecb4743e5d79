import type { ScenarioProof } from '../../test/scenarios/proof.ts';
import { NGINX_ANSWERS_ITSELF, NGINX_PROXIES_AGAIN } from '../../test/scenarios/fake-fixes.ts';

/** With the stray line gone, the fleet's own entry for db-0 is back within a second or two. */
export const UNTIL_DB_RESOLVES = 'for i in $(seq 1 20); do getent hosts db-0 | grep -v 10.213.0 && exit 0; sleep 0.5; done; exit 1';

export default {
  probes: [
    {
      symptom: 'Every api node answers 503 Service Unavailable',
      vm: 'db-0',
      run: `for n in api-0 api-1; do curl -s -m 15 -o /dev/null -w '%{http_code} ' http://$n/api/items; done`,
      expect: /^503 503$/,
      // The app's pooled connections outlive the change; new ones fail within its idle timeout.
      timeoutMs: 90_000,
    },
    {
      symptom: "The app's log on the api nodes says the database is unavailable",
      vm: ['api-0', 'api-1'],
      run: `tail -n 50 /var/log/app/access.log | grep -c 'database unavailable'`,
      expect: (out) => out.split('\n').every((n) => Number(n) > 0),
      timeoutMs: 90_000,
    },
    {
      symptom: 'The database on db-0 is up and answers its own queries',
      vm: 'db-0',
      run: `su postgres -c "psql -tAc 'select 1'"`,
      expect: /^1$/,
    },
  ],
  fakeFix: ['api-0', 'api-1'].map((vm) => ({ vm, run: NGINX_ANSWERS_ITSELF })),
  solve: ['api-0', 'api-1'].map((vm) => ({
    vm,
    // The first /etc/hosts line for db-0 wins; keep the fleet's own entry, drop the stray one.
    run: `getent hosts db-0; grep -n 'db-0' /etc/hosts; ${NGINX_PROXIES_AGAIN}; sed -i '/^10\\.213\\.0\\.66[[:space:]]/d' /etc/hosts; ${UNTIL_DB_RESOLVES}`,
  })),
} satisfies ScenarioProof;
