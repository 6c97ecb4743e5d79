/**
 * Issue 18, acceptance 1: during every library scenario, a probe as root in each VM finds no
 * fault id, fault type label or mechanism name in the journal, /etc, /run, process names,
 * command lines, environments or cgroups, or the firewall rules; and no injected process is
 * a child of the agent. Runs each scenario until all its faults are in place, probes, aborts.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunStatus } from '@pudu/schema';
import { sandboxSkipReason, startSandboxServer } from '../server/sandbox-server.ts';
import { sshExec, waitFor } from '../server/vm-shell.ts';
import { libraryFiles } from './library.ts';
import { testImage } from '../drivers/helpers.ts';

const skip = sandboxSkipReason();
const PARALLEL_SCENARIOS = Number(process.env.PUDU_SCENARIO_CONCURRENCY ?? 3);
const SEED = 20261123;
const SCENARIO_TIMEOUT_MS = 6 * 60_000;

/** The agent's own names for how it injects: none may be visible in the guest. */
const MECHANISMS = ['tc-netem', 'iptables-statistic', 'iptables-nfqueue', 'busy-threads', 'leaking-process', 'idle-client-connections', 'crash-loop-dropin', 'sigstop-duty-cycle', 'systemctl-stop', 'hosts-file', 'line-replaced', 'line-appended', 'fallocate+write', 'pudu-nfq', 'PUDU_HELPER'];

/** Everything a root trainee would look at, one section per place, as text. */
const PROBE = String.raw`
agent=$(systemctl show -p MainPID --value pudu-agent)
echo "@@journal"; journalctl --no-pager -o cat 2>/dev/null | grep -v -e pudu-agent.service
echo "@@files"; grep -rIl -F -f /dev/shm/.needles /etc /run 2>/dev/null
echo "@@processes"; for p in /proc/[0-9]*; do [ "$p" = "/proc/$$" ] && continue; n=$(cat $p/comm 2>/dev/null); case "$n" in pudu-agent|node) grep -q pudu-agent $p/cmdline 2>/dev/null && continue;; esac; tr "\0" " " < $p/cmdline 2>/dev/null; echo; tr "\0" "\n" < $p/environ 2>/dev/null; cat $p/cgroup 2>/dev/null | grep -v pudu-agent.service; done
echo "@@firewall"; iptables -S 2>/dev/null; iptables -t nat -S 2>/dev/null; ip6tables -S 2>/dev/null
echo "@@children"; for i in 1 2; do ps -o pid=,comm= --ppid "$agent" 2>/dev/null; sleep 1; done
`;

type Vm = RunStatus['vms'][number];

async function probe(vm: Vm, needles: string[]): Promise<Record<string, string>> {
  const put = await sshExec(vm.guestIp, vm.hostLink, `printf '%s\\n' ${needles.map((n) => `'${n.replace(/'/g, `'\\''`)}'`).join(' ')} > /dev/shm/.needles`);
  assert.equal(put.code, 0, put.stderr);
  const r = await sshExec(vm.guestIp, vm.hostLink, `bash -c '${PROBE.replace(/'/g, `'\\''`)}'; rm -f /dev/shm/.needles`);
  const out: Record<string, string> = {};
  for (const part of r.stdout.split('@@').slice(1)) {
    const nl = part.indexOf('\n');
    out[part.slice(0, nl)] = part.slice(nl + 1);
  }
  return out;
}

describe('nothing in a lab VM names the fault machinery', { skip, concurrency: PARALLEL_SCENARIOS }, () => {
  // One image build before the parallel servers (each would otherwise start its own).
  before(() => testImage());
  for (const file of libraryFiles()) {
    const name = file.replace(/^scenarios\//, '').replace(/\.yaml$/, '');
    it(`${name}: every VM probed as root while every fault is in place`, { timeout: SCENARIO_TIMEOUT_MS }, async (t) => {
      const s = await startSandboxServer(t);
      const { run: created } = await s.client().runScenario({ name, seed: SEED });
      s.defer(() => s.client().abortRun(created.id));
      const live = await waitFor(`${name}: every fault in place`, async () => {
        const r = await s.client().getRun(created.id);
        assert.ok(r.state === 'provisioning' || r.state === 'preflight' || r.state === 'running', `run is ${r.state}: ${r.error ?? ''}`);
        return r.state === 'running' && r.faults.every((f) => f.state === 'active') ? r : undefined;
      }, 4 * 60_000, 500);
      const ids = live.faults.map((f) => f.id);
      const needles = [...ids.map((id) => `${created.id}.${id}`), ...ids, ...MECHANISMS];
      for (const vm of live.vms) {
        const seen = await probe(vm, needles);
        for (const where of ['journal', 'processes', 'firewall']) {
          const hit = (seen[where] ?? '').split('\n').find((l) => needles.some((n) => l.includes(n)) || /"type":"/.test(l));
          assert.equal(hit, undefined, `${name} ${vm.name}: ${where} names the fault machinery: ${hit}`);
        }
        assert.equal((seen.files ?? '').trim(), '', `${name} ${vm.name}: files in /etc or /run name it`);
        const children = (seen.children ?? '').trim().split('\n').filter(Boolean);
        // A one-off systemctl or tc the agent runs to poll may show once; a child seen in both looks is a helper.
        const lasting = children.filter((c, i) => children.indexOf(c) !== i);
        assert.deepEqual(lasting, [], `${name} ${vm.name}: processes that are children of the agent`);
        assert.doesNotMatch(seen.firewall ?? '', /--sport 7777|--dport 7777/, `${name} ${vm.name}: an exemption for the control channel`);
      }
      t.diagnostic(`${name}: probed ${live.vms.map((v) => v.name).join(', ')} with faults ${ids.join(', ')}`);
    });
  }
});
