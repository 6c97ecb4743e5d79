import type { ScenarioProof } from '../../test/scenarios/proof.ts';

export default {
  probes: [
    {
      symptom: 'About a third of the pings from api-0 to db-0 get no answer',
      vm: 'api-0',
      run: `ping -q -n -c 50 -i 0.1 -W 1 db-0 | grep -o '[0-9.]*% packet loss'`,
      expect: /^(1[5-9]|[2-4]\d)(\.\d+)?% packet loss$/,
    },
    {
      symptom: 'Some API requests are instant while others take seconds (TCP retransmits)',
      vm: 'api-0',
      run: `for i in $(seq 1 20); do curl -s -o /dev/null -m 20 -w '%{time_total}\\n' http://localhost/healthz; done | sort -n | awk '{t[NR]=$1} END {printf "fastest %.2f slowest %.2f\\n", t[1], t[NR]}'`,
      expect: (out) => {
        const m = /^fastest ([\d.]+) slowest ([\d.]+)$/.exec(out);
        return !!m && Number(m[1]) < 0.3 && Number(m[2]) >= 0.9;
      },
      timeoutMs: 120_000,
    },
  ],
  // Restarting the database: connections are fresh for a moment, the link still drops packets.
  fakeFix: [{ vm: 'db-0', run: 'systemctl restart postgresql && systemctl is-active postgresql' }],
  solve: [
    {
      vm: 'db-0',
      // Nothing in tc; iptables shows a rule that drops at random: delete that rule alone (its
      // empty chain may stay: what counts is that packets get through).
      run: [
        'tc qdisc show',
        'iptables -S | grep -- "-m statistic"',
        `iptables -S | grep -- '-m statistic' | sed 's/^-A /-D /' | xargs -r -L1 iptables`,
        'iptables -S | grep -c -- "-m statistic" || true',
      ].join('; '),
    },
  ],
  // The probe's 30 s window must first hold no loss from before the fix.
  settleS: 35,
} satisfies ScenarioProof;
