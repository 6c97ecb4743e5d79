import type { ScenarioProof } from '../../test/scenarios/proof.ts';

export default {
  probes: [
    {
      symptom: 'curl http://localhost/healthz on app-0 returns 502 Bad Gateway',
      vm: 'app-0',
      run: `curl -s -o /dev/null -w '%{http_code}' http://localhost/healthz`,
      expect: /^502$/,
    },
    {
      symptom: 'nginx error log: connect() failed (111: Connection refused) while connecting to upstream',
      vm: 'app-0',
      run: 'curl -s -o /dev/null http://localhost/; tail -n 3 /var/log/nginx/error.log',
      expect: /connect\(\) failed \(111: Connection refused\) while connecting to upstream/,
    },
    {
      symptom: 'systemctl status app-server: activating (auto-restart), the restart counter climbing',
      vm: 'app-0',
      run: `a=$(systemctl show -p NRestarts --value app-server); sleep 3; b=$(systemctl show -p NRestarts --value app-server); echo "restarts $a $b"`,
      expect: (out) => {
        const m = /^restarts (\d+) (\d+)$/.exec(out);
        return !!m && Number(m[2]) > Number(m[1]);
      },
    },
    {
      symptom: 'journalctl -u app-server: APP_DB_POOL_MAX=… is not a positive integer',
      vm: 'app-0',
      run: `journalctl -u app-server -n 50 --no-pager -o cat | grep -m1 'is not a positive integer'`,
      expect: /APP_DB_POOL_MAX=25 +# raised for the sale, CHG-1042 is not a positive integer/,
    },
  ],
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
      ].join('; '),
    },
  ],
} satisfies ScenarioProof;
