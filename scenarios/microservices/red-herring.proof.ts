import type { ScenarioProof } from '../../test/scenarios/proof.ts';
import { NGINX_ANSWERS_ITSELF, NGINX_PROXIES_AGAIN } from '../../test/scenarios/fake-fixes.ts';
import { busiestProcess, itemsFromEachNode } from '../../test/scenarios/probe-commands.ts';
import { UNTIL_DB_RESOLVES } from './dns-hijack-db.proof.ts';

const API = ['api-0', 'api-1', 'api-2'];

/** Each api node's answer to a user's item list, from db-0: `<code> <seconds>` per node. */
const EACH_NODE = itemsFromEachNode(API);

export default {
  probes: [
    {
      symptom: 'The pager shows a CPU alert on api-0: one process there keeps a CPU busy',
      vm: 'api-0',
      // The busiest process's share of a CPU; on a host loaded by other fleets a 90 % burner gets less.
      run: busiestProcess(),
      expect: (out) => Number(out) >= 15,
    },
    {
      symptom: 'About two requests in three fail, from two of the three api nodes',
      vm: 'db-0',
      run: `${EACH_NODE} | awk '{print $1}' | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}'`,
      expect: /^200:1 503:2$/,
      timeoutMs: 90_000,
    },
    {
      symptom: 'The failing nodes answer slowly and then with 503 Service Unavailable',
      vm: 'db-0',
      run: EACH_NODE,
      expect: (out) => out.split('\n').filter((l) => /^503 /.test(l) && Number(l.split(' ')[1]) >= 1).length === 2,
      timeoutMs: 90_000,
    },
  ],
  // Canned answers on every api node: users would still be failing behind them.
  fakeFix: API.map((vm) => ({ vm, run: NGINX_ANSWERS_ITSELF })),
  solve: API.map((vm) => ({
    vm,
    run: `${NGINX_PROXIES_AGAIN}; sed -i '/^10\\.213\\.0\\.67[[:space:]]/d' /etc/hosts; ${UNTIL_DB_RESOLVES.replace('10.213.0', '10.213.0.67')}`,
  })),
} satisfies ScenarioProof;
