import type { ScenarioProof } from '../../test/scenarios/proof.ts';
import { NGINX_ANSWERS_ITSELF, NGINX_PROXIES_AGAIN } from '../../test/scenarios/fake-fixes.ts';

export default {
  probes: [
    {
      symptom: 'The status page is red: every request to the shop returns 502 Bad Gateway',
      vm: 'app-0',
      run: `for p in / /healthz /api/items; do curl -s -o /dev/null -w '%{http_code} ' http://localhost$p; done`,
      expect: /^502 502 502$/,
    },
    {
      symptom: 'Checkout and the item list both fail; the web server itself answers',
      vm: 'app-0',
      run: `curl -s -o /dev/null -w '%{http_code} ' -X POST -H 'content-type: application/json' -d '{"name":"x"}' http://localhost/api/items; systemctl is-active nginx`,
      expect: /^502 active$/,
    },
    {
      symptom: 'The monitoring dashboard shows the app process on app-0 never stays up',
      vm: 'app-0',
      run: `a=$(systemctl show -p NRestarts --value app-server); sleep 3; b=$(systemctl show -p NRestarts --value app-server); echo "restarts $a $b"`,
      expect: (out) => {
        const m = /^restarts (\d+) (\d+)$/.exec(out);
        return !!m && Number(m[2]) > Number(m[1]);
      },
    },
  ],
  // nginx answers the health path and the API with canned bodies while the app still crash-loops.
  fakeFix: [{ vm: 'app-0', run: NGINX_ANSWERS_ITSELF }],
  solve: [
    {
      vm: 'app-0',
      // Read why it exits, find the file its unit reads, drop the trailing comment, restart.
      run: [
        'systemctl status app-server --no-pager || true',
        'journalctl -u app-server -n 5 --no-pager -o cat',
        `systemctl cat app-server | grep EnvironmentFile`,
        `sed -i 's/^\\(APP_DB_POOL_MAX=[0-9]*\\).*/\\1/' /etc/default/app-server`,
        'grep APP_DB_POOL_MAX /etc/default/app-server',
        'systemctl restart app-server',
        'systemctl is-active app-server',
        // Undo the earlier shortcut: nginx proxies everything to the app again.
        NGINX_PROXIES_AGAIN,
      ].join('; '),
    },
  ],
  // app-server must be up 10 s without a restart before its 20 s window starts.
  settleS: 15,
} satisfies ScenarioProof;
