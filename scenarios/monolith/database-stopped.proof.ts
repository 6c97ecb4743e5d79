import type { ScenarioProof } from '../../test/scenarios/proof.ts';
import { NGINX_ANSWERS_ITSELF, NGINX_PROXIES_AGAIN } from '../../test/scenarios/fake-fixes.ts';

export default {
  probes: [
    {
      symptom: 'Every page that needs data fails with 503 Service Unavailable',
      vm: 'app-0',
      run: `for p in /api/items /healthz; do curl -s -o /dev/null -w '%{http_code} ' http://localhost$p; done`,
      expect: /^503 503$/,
      timeoutMs: 90_000,
    },
    {
      symptom: 'The web server and the app process are both up',
      vm: 'app-0',
      run: 'systemctl is-active nginx app-server | tr "\\n" " "',
      expect: /^active active$/,
    },
    {
      symptom: "The app's log says the database refuses connections",
      vm: 'app-0',
      run: `tail -n 30 /var/log/app/access.log | grep -m1 -o 'database unavailable[^"]*'`,
      expect: /database unavailable.*(ECONNREFUSED|connect)/,
      timeoutMs: 90_000,
    },
  ],
  // Canned answers from nginx: the status page goes green, users still get nothing.
  fakeFix: [{ vm: 'app-0', run: NGINX_ANSWERS_ITSELF }],
  solve: [
    {
      vm: 'app-0',
      run: [NGINX_PROXIES_AGAIN, 'systemctl --no-pager --state=inactive list-units --type=service | head -20', 'systemctl start postgresql', 'systemctl is-active postgresql'].join('; '),
    },
  ],
  // postgresql must be up 5 s before its 20 s window starts.
  settleS: 10,
} satisfies ScenarioProof;
