import type { ScenarioProof } from '../../test/scenarios/proof.ts';
import { NGINX_ANSWERS_ITSELF, NGINX_PROXIES_AGAIN } from '../../test/scenarios/fake-fixes.ts';
import { busiestProcess, itemsFromEachNode } from '../../test/scenarios/probe-commands.ts';

const API = ['api-0', 'api-1'];
/** The busiest process's CPU share in this VM (top's first line, without the host's noise). */
const cpu = busiestProcess();

export default {
  probes: [
    {
      symptom: 'Every request that needs data takes more than a second, on both api nodes',
      vm: 'db-0',
      run: itemsFromEachNode(API, 1, '%{time_total}\\n'),
      expect: (out) => out.split('\n').every((t) => Number(t) > 1),
      timeoutMs: 90_000,
    },
    {
      symptom: "api-1's CPU is busy and api-0's is not, yet both are equally slow",
      vm: ['api-0', 'api-1'],
      run: cpu,
      expect: (out) => {
        const [a, b] = out.split('\n').map(Number);
        return b! >= 15 && b! > 2 * a!;
      },
    },
    {
      symptom: 'Pings from the api nodes to db-0 take most of a second',
      vm: 'api-0',
      run: `ping -q -n -c 5 -i 0.3 -W 3 db-0 | awk -F/ '/^rtt/ {printf "%d", $5}'`,
      expect: (out) => Number(out) >= 500,
    },
  ],
  // Canned answers on both nodes: users still wait on everything else.
  fakeFix: API.map((vm) => ({ vm, run: NGINX_ANSWERS_ITSELF })),
  solve: [
    ...API.map((vm) => ({ vm, run: NGINX_PROXIES_AGAIN })),
    {
      vm: 'db-0',
      // No netem in tc: iptables queues outgoing packets to a userspace handler. Drop that rule.
      run: [
        'tc qdisc show',
        'iptables -S | grep -- "-j NFQUEUE"',
        `iptables -S | grep -- '-j NFQUEUE' | sed 's/^-A /-D /' | xargs -r -L1 iptables`,
        `dev=$(ip route show default | awk '{print $5; exit}'); tc qdisc show dev "$dev" | grep -q netem && tc qdisc del dev "$dev" root || true`,
        'ping -c 3 -n 127.0.0.1 >/dev/null',
      ].join('; '),
    },
  ],
  // The probe's 15 s window must first hold only fast answers.
  settleS: 20,
} satisfies ScenarioProof;
