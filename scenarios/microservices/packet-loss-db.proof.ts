import type { ScenarioProof } from '../../test/scenarios/proof.ts';

export default {
  probes: [
    {
      symptom: 'ping -c 50 db-0 from api-0 loses about a third of its packets',
      vm: 'api-0',
      run: `ping -q -n -c 50 -i 0.1 -W 1 db-0 | grep -o '[0-9.]*% packet loss'`,
      expect: /^(1[5-9]|[2-4]\d)(\.\d+)?% packet loss$/,
    },
    {
      symptom: 'some API requests take seconds while others are instant (TCP retransmits)',
      vm: 'api-0',
      run: `for i in $(seq 1 20); do curl -s -o /dev/null -m 20 -w '%{time_total}\\n' http://localhost/healthz; done | sort -n | awk '{t[NR]=$1} END {printf "fastest %.2f slowest %.2f\\n", t[1], t[NR]}'`,
      expect: (out) => {
        const m = /^fastest ([\d.]+) slowest ([\d.]+)$/.exec(out);
        return !!m && Number(m[1]) < 0.3 && Number(m[2]) >= 0.9;
      },
      timeoutMs: 120_000,
    },
  ],
  solve: [
    {
      vm: 'db-0',
      // Nothing in tc; iptables shows a chain that drops at random: unhook it from OUTPUT.
      run: [
        'tc qdisc show',
        'iptables -S | grep -- "-m statistic" || true',
        `for c in $(iptables -S | awk '/-m statistic/ {print $2}' | sort -u); do iptables -S OUTPUT | grep -- "-j $c\\$" | sed 's/^-A /-D /' | xargs -r -L1 iptables; done`,
        `dev=$(ip route show default | awk '{print $5; exit}'); tc qdisc show dev "$dev" | grep -q netem && tc qdisc del dev "$dev" root || true`,
      ].join('; '),
    },
  ],
  settleS: 20,
} satisfies ScenarioProof;
