import type { ScenarioProof } from '../../test/scenarios/proof.ts';
import { NGINX_ANSWERS_ITSELF, NGINX_PROXIES_AGAIN } from '../../test/scenarios/fake-fixes.ts';

const API = ['api-0', 'api-1'];
/** Each api node's answer to 6 item lists, from db-0: `<node> <codes…>` per line. */
const EACH_NODE = `for n in ${API.join(' ')}; do echo "$n $(for i in 1 2 3 4 5 6; do curl -s -m 10 -o /dev/null -w '%{http_code} ' http://$n/api/items; done)"; done`;
const lines = (out: string): string[][] => out.split('\n').map((l) => l.trim().split(/\s+/).slice(1));

export default {
  probes: [
    {
      symptom: 'About half of the requests fail with 502 Bad Gateway',
      vm: 'db-0',
      run: EACH_NODE,
      expect: (out) => {
        const codes = lines(out).flat();
        return codes.filter((c) => c === '502').length === codes.length / 2;
      },
    },
    {
      symptom: 'One api node fails every request while the other serves them all',
      vm: 'db-0',
      run: EACH_NODE,
      expect: (out) => lines(out).map((l) => [...new Set(l)].join()).sort().join('|') === '200|502',
    },
    {
      symptom: 'The database answers the healthy node as fast as ever',
      vm: 'db-0',
      run: `for n in ${API.join(' ')}; do curl -s -m 10 -o /dev/null -w '%{http_code} %{time_total}\\n' http://$n/api/items; done | awk '$1 == 200 {print ($2 < 0.5) ? "fast" : "slow"}'`,
      expect: /^fast$/,
    },
  ],
  // Canned answers on both nodes: the status page looks fine, one node's users still get nothing.
  fakeFix: API.map((vm) => ({ vm, run: NGINX_ANSWERS_ITSELF })),
  // On each node: nginx proxies again; where the app listens elsewhere than nginx expects, put its port back.
  solve: API.map((vm) => ({
    vm,
    run: [
      NGINX_PROXIES_AGAIN,
      `want=$(grep -o 'proxy_pass http://127.0.0.1:[0-9]*' /etc/nginx/sites-available/default | grep -o '[0-9]*$')`,
      `have=$(grep '^APP_PORT=' /etc/default/app-server | cut -d= -f2)`,
      `echo "nginx wants $want, app has $have"`,
      `if [ "$want" != "$have" ]; then sed -i "s/^APP_PORT=.*/APP_PORT=$want/" /etc/default/app-server && systemctl restart app-server; fi`,
    ].join('; '),
  })),
  // app-server must answer again after its restart before the 20 s window starts.
  settleS: 10,
} satisfies ScenarioProof;
