import type { ScenarioProof } from '../../test/scenarios/proof.ts';

export default {
  probes: [
    {
      symptom: 'nginx returns 5xx for requests that write',
      vm: 'app-0',
      run: `curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' -d '{"name":"probe"}' http://localhost/api/items`,
      expect: /^5\d\d$/,
    },
    {
      symptom: 'writes on app-0 fail with: No space left on device',
      vm: 'app-0',
      run: 'dd if=/dev/zero of=/var/tmp/probe bs=1M count=8 2>&1 | head -1; rm -f /var/tmp/probe',
      expect: /No space left on device/,
    },
  ],
  // Move the app's log off the full disk: users are served again, the disk stays full.
  // Moves the app's log to tmpfs so writes succeed again, leaving the disk full. Everything it
  // writes lives under /run: `sed -i` on /etc needs a free block, which a full disk does not
  // have for the VM's root either (the sandbox's root is not the host's, so no reserved blocks).
  fakeFix: [{ vm: 'app-0', run: `mkdir -p /run/applog /run/systemd/system/app-server.service.d && chown --reference=/var/log/app /run/applog && echo APP_LOG_DIR=/run/applog > /run/applog.env && printf '[Service]\\nEnvironmentFile=/run/applog.env\\n' > /run/systemd/system/app-server.service.d/log.conf && systemctl daemon-reload && systemctl restart app-server && sleep 2 && curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' -d '{"name":"x"}' http://localhost/api/items` }],
  solve: [
    // df says / is full; du -x finds the biggest files on it; a runaway log is safe to drop.
    { vm: 'app-0', run: `big=$(du -xa / 2>/dev/null | sort -rn | awk '$2 ~ /\\.log$/ {print $2; exit}'); echo "freeing $big"; rm -f "$big"; df -h /; sed -i 's|^APP_LOG_DIR=.*|APP_LOG_DIR=/var/log/app|' /etc/default/app-server; systemctl restart app-server` },
  ],
} satisfies ScenarioProof;
