import type { ScenarioProof } from '../../test/scenarios/proof.ts';

export default {
  probes: [
    {
      symptom: 'The memory graph of app-0 climbs in a straight line and never comes down',
      vm: 'app-0',
      run: `a=$(free -m | awk '/^Mem:/ {print $7}'); sleep 5; b=$(free -m | awk '/^Mem:/ {print $7}'); [ "$b" -lt "$a" ] && echo shrinking "$a" "$b" || echo steady "$a" "$b"`,
      expect: /^shrinking/,
      timeoutMs: 120_000,
    },
    {
      symptom: 'One process on app-0 grows by megabytes every few seconds',
      vm: 'app-0',
      run: `p=$(ps -eo pid --sort=-rss --no-headers | head -1 | tr -d ' '); a=$(ps -o rss= -p $p); sleep 3; b=$(ps -o rss= -p $p); [ "$b" -gt "$a" ] && echo growing $(ps -o comm= -p $p) || echo steady`,
      expect: /^growing /,
      timeoutMs: 120_000,
    },
  ],
  // Turning the shop off and on again: the app restarts fine, the memory stays taken.
  fakeFix: [{ vm: 'app-0', run: 'systemctl restart app-server nginx && systemctl is-active app-server' }],
  solve: [
    // The biggest resident process that only grows: stop it.
    { vm: 'app-0', run: `ps -eo pid,rss,comm --sort=-rss | head -5; kill $(ps -eo pid --sort=-rss --no-headers | head -1)` },
  ],
} satisfies ScenarioProof;
