import type { ScenarioProof } from '../../test/scenarios/proof.ts';
import { busiestProcess } from '../../test/scenarios/probe-commands.ts';

/** Status codes of `n` GETs of `path` on the local nginx, one per line. */
const statuses = (path: string, n: number): string =>
  `for i in $(seq 1 ${n}); do curl -s -o /dev/null -m 15 -w '%{http_code}\\n' http://localhost${path}; done`;

/** Share of 503s among the status codes printed by both api nodes. */
function share503(out: string): number {
  const codes = out.split(/\s+/).filter((c) => /^\d{3}$/.test(c));
  return codes.length ? codes.filter((c) => c === '503').length / codes.length : 0;
}

/** On db-0: who holds the sessions, and which local process owns those sockets: stop that process. */
export const STOP_CONNECTION_HOLDER = [
  'set -e',
  `runuser -u postgres -- psql -Atc "SELECT application_name, client_addr, count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1, 2 ORDER BY 3 DESC"`,
  `pid=$(ss -Htnp 'dport = :5432' | grep -o 'pid=[0-9]*' | sort | uniq -c | sort -rn | awk 'NR == 1 {sub("pid=", "", $2); print $2}')`,
  `ps -o pid,comm,args -p "$pid"`,
  `kill "$pid"`,
].join('; ');

export default {
  probes: [
    {
      symptom: "The database VM's CPU is pegged by one busy process",
      vm: 'db-0',
      run: busiestProcess(2, 'print $9, $12'),
      // Share of one host CPU: with CI's own fleets on a 2-core host the 90 % burner got 25 %.
      expect: (out) => Number(out.split(' ')[0]) >= 15,
    },
    {
      // Acceptance: at least 20 % of the api's answers are 503 while the connections are held.
      symptom: 'A share of api requests fail with 503 (database unavailable)',
      vm: ['api-0', 'api-1'],
      run: statuses('/api/items', 20),
      expect: (out) => share503(out) >= 0.2,
      timeoutMs: 120_000,
    },
    {
      symptom: 'The database refuses new connections: the remaining slots are reserved',
      vm: 'db-0',
      run: `grep -h 'remaining connection slots are reserved' /var/log/postgresql/postgresql-*-main.log | tail -1`,
      expect: /FATAL: +remaining connection slots are reserved/,
    },
    {
      symptom: 'api requests take more than 300 ms',
      vm: 'api-0',
      run: `for i in 1 2 3 4 5; do curl -s -o /dev/null -m 15 -w '%{time_total}\\n' http://localhost/healthz; done | sort -n | sed -n 3p`,
      expect: (out) => Number(out) > 0.3,
      timeoutMs: 120_000,
    },
    {
      symptom: "api-0's memory grows by about 90 MB a minute",
      vm: 'api-0',
      run: `a=$(free -m | awk '/^Mem:/ {print $3}'); sleep 20; b=$(free -m | awk '/^Mem:/ {print $3}'); echo "$a $b $((b - a))"`,
      // 90 MB/min is 30 MB in 20 s; the rest of the VM breathes a little either way.
      expect: (out) => Number(out.split(' ')[2]) >= 5,
      timeoutMs: 240_000,
    },
  ],
  // Restarting the app on both api nodes: fresh pools, the same full database.
  fakeFix: ['api-0', 'api-1'].map((vm) => ({ vm, run: 'systemctl restart app-server && systemctl is-active app-server' })),
  solve: [
    {
      vm: 'db-0',
      // Who holds the sessions, and which local process owns those sockets: stop that process.
      // Then whatever is still burning the CPU, if anything.
      run: [
        STOP_CONNECTION_HOLDER,
        `hog=$(ps -eo pid=,pcpu= --sort=-pcpu | awk 'NR == 1 && $2 > 50 {print $1}')`,
        `if [ -n "$hog" ]; then ps -o pid,pcpu,comm -p "$hog"; kill "$hog"; fi`,
      ].join('; '),
    },
    {
      vm: 'api-0',
      // Acceptance: once the connections are back, no errors at all on either api node.
      run: [
        `for i in $(seq 1 30); do [ "$(curl -s -o /dev/null -m 15 -w '%{http_code}' http://localhost/healthz)" = 200 ] && break; sleep 1; done`,
        `codes=$(for h in api-0 api-1; do for i in $(seq 1 20); do curl -s -o /dev/null -m 15 -w "%{http_code}\\n" http://$h/api/items; done; curl -s -o /dev/null -m 15 -w "%{http_code}\\n" http://$h/healthz; done)`,
        `echo "$codes" | sort | uniq -c`,
        `[ -z "$(echo "$codes" | grep -v '^200$')" ]`,
      ].join('; '),
    },
    {
      vm: 'api-0',
      // The process whose RSS grew the most over 10 s.
      run: [
        'set -e',
        `ps -eo pid=,rss= > /tmp/rss.a; sleep 10; ps -eo pid=,rss= > /tmp/rss.b`,
        `leak=$(awk 'NR == FNR {a[$1] = $2; next} $1 in a {print $2 - a[$1], $1}' /tmp/rss.a /tmp/rss.b | sort -rn | awk 'NR == 1 {print $2}')`,
        `ps -o pid,rss,comm -p "$leak"`,
        `kill "$leak"`,
      ].join('; '),
    },
  ],
  settleS: 30,
} satisfies ScenarioProof;
