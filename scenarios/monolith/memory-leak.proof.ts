import type { ScenarioProof } from '../../test/scenarios/proof.ts';

export default {
  probes: [
    {
      symptom: 'free -m on app-0 shows available memory shrinking minute by minute',
      vm: 'app-0',
      run: `a=$(free -m | awk '/^Mem:/ {print $7}'); sleep 5; b=$(free -m | awk '/^Mem:/ {print $7}'); [ "$b" -lt "$a" ] && echo shrinking "$a" "$b" || echo steady "$a" "$b"`,
      expect: /^shrinking/,
      timeoutMs: 120_000,
    },
    {
      symptom: "one process's RSS keeps growing in top (sort by memory with M)",
      vm: 'app-0',
      run: `p=$(ps -eo pid --sort=-rss --no-headers | head -1 | tr -d ' '); a=$(ps -o rss= -p $p); sleep 3; b=$(ps -o rss= -p $p); [ "$b" -gt "$a" ] && echo growing $(ps -o comm= -p $p) || echo steady`,
      expect: /^growing /,
      timeoutMs: 120_000,
    },
  ],
  solve: [
    // The biggest resident process that only grows: stop it.
    { vm: 'app-0', run: `ps -eo pid,rss,comm --sort=-rss | head -5; kill $(ps -eo pid --sort=-rss --no-headers | head -1)` },
  ],
  settleS: 30,
} satisfies ScenarioProof;
