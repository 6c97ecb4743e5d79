import type { ScenarioProof } from '../../test/scenarios/proof.ts';
import { NGINX_ANSWERS_ITSELF, NGINX_PROXIES_AGAIN } from '../../test/scenarios/fake-fixes.ts';

export default {
  probes: [
    {
      symptom: 'Saving an item fails with a database error on every api node',
      vm: 'api-0',
      run: `curl -s -m 15 -w ' %{http_code}' -X POST -H 'content-type: application/json' -d '{"name":"probe"}' http://localhost/api/items`,
      expect: /(space|database|could not|PANIC|terminat)[\s\S]* 5\d\d$/i,
    },
    {
      symptom: "The database VM's disk is full",
      vm: 'db-0',
      run: `df --output=pcent / | tail -1 | tr -d ' '`,
      expect: /^100%$/,
    },
    {
      // Postgres's own log is on the full disk too: whether it gets the error line in depends
      // on the slack in its last block, so the probe checks what is always true.
      symptom: 'Nothing else can write on db-0 either: No space left on device',
      vm: 'db-0',
      run: 'dd if=/dev/zero of=/var/tmp/probe bs=1M count=8 2>&1 | head -1; rm -f /var/tmp/probe',
      expect: /No space left on device/,
    },
  ],
  fakeFix: ['api-0', 'api-1'].map((vm) => ({ vm, run: NGINX_ANSWERS_ITSELF })),
  solve: [
    ...['api-0', 'api-1'].map((vm) => ({ vm, run: NGINX_PROXIES_AGAIN })),
    {
      vm: 'db-0',
      // Free the runaway log (never Postgres data files), then make sure Postgres is up. A
      // Postgres that survived the full disk needs no restart: restarting it anyway made its
      // shutdown checkpoint hang past 100 s on a loaded host ("pg_ctl: server does not shut down").
      run: [
        `df -h /; big=$(du -xa /var/log 2>/dev/null | sort -rn | awk '$2 ~ /\\.log$/ {print $2; exit}'); echo "freeing $big"; rm -f "$big"; df -h / | tail -1`,
        'systemctl is-active --quiet postgresql@15-main || timeout 100 systemctl restart postgresql || systemctl status --no-pager -n 8 postgresql@15-main | head -16',
        'systemctl is-active postgresql@15-main',
      ].join('; '),
    },
  ],
  // Postgres may take a while to come back after its disk filled.
  settleS: 30,
} satisfies ScenarioProof;
