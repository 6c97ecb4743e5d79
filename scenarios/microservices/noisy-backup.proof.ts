import type { ScenarioProof } from '../../test/scenarios/proof.ts';
import { NGINX_ANSWERS_ITSELF, NGINX_PROXIES_AGAIN } from '../../test/scenarios/fake-fixes.ts';
import { busiestProcess, itemsFromEachNode } from '../../test/scenarios/probe-commands.ts';
import { STOP_CONNECTION_HOLDER } from './db-connection-exhaustion.proof.ts';

const API = ['api-0', 'api-1'];

export default {
  probes: [
    {
      symptom: "The database VM's CPU has been busy since the backup window opened",
      vm: 'db-0',
      run: busiestProcess(),
      // On a host loaded by other fleets a 90 % burner gets less than 90.
      expect: (out) => Number(out) >= 15,
    },
    {
      symptom: 'Most api requests fail with 503 Service Unavailable',
      vm: 'db-0',
      run: itemsFromEachNode(API, 3),
      expect: (out) => out.split('\n').filter((l) => /^503 /.test(l)).length >= 4,
      timeoutMs: 120_000,
    },
    {
      symptom: 'The database log says new connections are refused: the remaining slots are reserved',
      vm: 'db-0',
      run: `grep -h 'remaining connection slots are reserved' /var/log/postgresql/postgresql-*-main.log | tail -1`,
      expect: /FATAL: +remaining connection slots are reserved/,
      timeoutMs: 90_000,
    },
  ],
  // Canned answers on both nodes: the dashboards go green, users still get no data.
  fakeFix: API.map((vm) => ({ vm, run: NGINX_ANSWERS_ITSELF })),
  solve: [
    ...API.map((vm) => ({ vm, run: NGINX_PROXIES_AGAIN })),
    {
      vm: 'db-0',
      // Who holds the sessions, and which local process owns those sockets: stop that one only.
      run: STOP_CONNECTION_HOLDER,
    },
  ],
  // The app's pool waits out its failed attempts before it connects again.
  settleS: 15,
} satisfies ScenarioProof;
