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
  ],
  solve: [
    { vm: 'app-0', run: 'systemctl status app-server --no-pager || true; systemctl start app-server; systemctl is-active app-server' },
  ],
} satisfies ScenarioProof;
