import type { ScenarioProof } from '../../test/scenarios/proof.ts';
import { UNTIL_DB_RESOLVES } from './dns-hijack-db.proof.ts';

export default {
  probes: [
    {
      symptom: 'api-0 CPU is high, yet api-0 may answer /healthz with 200',
      vm: 'api-0',
      run: `top -bn2 -d1 | awk '/^%?Cpu/ {idle=$8} END {print 100-idle}'`,
      expect: /^([5-9]\d|100)(\.\d+)?$/,
    },
    {
      symptom: 'two of the three api nodes answer /healthz with 503',
      vm: 'db-0',
      run: `for n in api-0 api-1 api-2; do curl -s -m 15 -o /dev/null -w '%{http_code}\\n' http://$n/healthz; done | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}'`,
      expect: /^200:1 503:2$/,
      timeoutMs: 90_000,
    },
    {
      symptom: 'getent hosts db-0 differs between api nodes',
      vm: ['api-0', 'api-1', 'api-2'],
      run: `getent hosts db-0 | awk '{print $1}'`,
      expect: (out) => new Set(out.split('\n')).size === 2,
    },
  ],
  solve: ['api-0', 'api-1', 'api-2'].map((vm) => ({
    vm,
    run: `sed -i '/^10\\.213\\.0\\.67[[:space:]]/d' /etc/hosts; ${UNTIL_DB_RESOLVES.replace('10.213.0', '10.213.0.67')}`,
  })),
  settleS: 30,
} satisfies ScenarioProof;
