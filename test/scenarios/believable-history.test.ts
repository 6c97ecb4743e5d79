/**
 * Issue 18, believable history: a lab VM during its incident does not look minutes old.
 * A real server run on the sandbox, a scenario that declares its history (41 days up, an
 * earlier change, the config push and the debug-logging change that cause the incident), and
 * a root trainee's look once every fault is in place: uptime and boot records, process start
 * times, the age of the setup and image files, the culprit file against the deploy log, the
 * service logs before the boot, past logins and shell history.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sandboxSkipReason, startSandboxServer } from '../server/sandbox-server.ts';
import { sshExec, waitFor } from '../server/vm-shell.ts';
import { testImage } from '../drivers/helpers.ts';
import { readFileSync } from 'node:fs';
import { vmPaths } from '../../packages/drivers/src/sandbox/paths.ts';
import { hostNamesForIndex } from '../../packages/drivers/src/network/addressing.ts';

const skip = sandboxSkipReason();
const DAY_S = 86_400;
const UPTIME_DAYS = 41;

const SCENARIO = `scenario:
  id: believable-history-test
  title: Sale night
  difficulty: easy
  time_limit: 10m
environment:
  tiers:
    - name: app
      services: [nginx, app-server, postgresql]
history:
  uptime: ${UPTIME_DAYS}d
  records:
    - { file: /var/log/deploy.log, ago: 2d, line: "{iso} CHG-1040 app-server: sale banner flag on by mlopez: ok" }
  shell: ["vi /etc/default/app-server"]
faults:
  - id: bad-config-push
    type: config
    target: { vm: app-0 }
    params: { path: /etc/default/app-server, match: "^APP_DB_POOL_MAX=", replace: "APP_DB_POOL_MAX=25  # raised for the sale, CHG-1042", restart: app-server }
    history:
      - { file: /var/log/deploy.log, line: "{iso} CHG-1042 config app-server /etc/default/app-server: raise APP_DB_POOL_MAX for the sale by jdoe: ok" }
  - id: runaway-debug-log
    type: disk
    target: { vm: app-0 }
    at: 3s
    history:
      - { file: /var/log/deploy.log, line: "{iso} CHG-1043 app-server: LOG_LEVEL=debug for the sale by jdoe: ok" }
objectives:
  - id: o1
    description: the shop answers
    check: { type: http, target: { vm: app-0 }, path: /healthz, expected_status: 200 }
`;

/** What a root trainee would look at, one section each. BOOT is the VM's own idea of its boot. */
const LOOK = String.raw`
now=$(date +%s); up=$(cut -d. -f1 /proc/uptime); BOOT=$((now - up))
echo "@@clock"; echo "$now $up"; uptime -s; date -d "$(LC_ALL=C.UTF-8 who -b | sed 's/.*system boot *//')Z" +%s
echo "@@starts"; ps -eo lstart= | while read -r l; do date -d "$l" +%s; done
echo "@@mtimes"; stat -c '%n %Y' /etc/hostname /etc/hosts /etc/default/pudu-agent /etc/default/app-server /var/log/app/debug.log /opt/app-server/app-server.mjs
echo "@@newer"; find /etc /usr /opt /root -xdev -newermt "@$BOOT" ! -name .bash_history 2>/dev/null
echo "@@deploy"; cat /var/log/deploy.log
echo "@@logs"; ls /var/log/nginx /var/log/app /var/log/postgresql; head -c 200 /var/log/nginx/access.log.1 | head -1; zcat /var/log/postgresql/postgresql-15-main.log.2.gz | head -1
echo "@@last"; last -F -n 5 root
echo "@@reboots"; last -F -x reboot shutdown | grep -E '^(reboot|shutdown)' | while read -r l; do date -d "$(echo "$l" | awk '{print $5, $6, $7, $8, $9}')" +%s; done
echo "@@lastlog"; lastlog -u root | tail -1
echo "@@varlog"; find /var/log /etc -maxdepth 1 -newermt "@$BOOT" | sort
echo "@@dpkg"; date -d "$(tail -n 1 /var/log/dpkg.log | cut -c1-19)" +%s; stat -c %Y /var/lib/dpkg/status; find /var/lib/dpkg/info /usr/bin /usr/sbin -newermt "@$BOOT" | wc -l
echo "@@shell"; tail -n 1 /root/.bash_history
`;

function sections(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const part of text.split('@@').slice(1)) {
    const [head, ...lines] = part.split('\n');
    out[head!.trim()] = lines.filter((l) => l.trim() !== '');
  }
  return out;
}

const epoch = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

test('a VM in its incident has weeks of history, and the culprit\'s change is where the deploy log says', { skip, timeout: 8 * 60_000 }, async (t) => {
  await testImage();
  const s = await startSandboxServer(t);
  const { run: created } = await s.client().runScenario({ yaml: SCENARIO, file: 'believable-history.yaml' });
  s.defer(() => s.client().abortRun(created.id));
  const live = await waitFor('every fault in place', async () => {
    const r = await s.client().getRun(created.id);
    assert.ok(r.state === 'provisioning' || r.state === 'preflight' || r.state === 'running', `run is ${r.state}: ${r.error ?? ''}`);
    return r.state === 'running' && r.faults.every((f) => f.state === 'active') ? r : undefined;
  }, 4 * 60_000, 500);
  const startedAt = epoch(live.startedAt!);
  const vm = live.vms[0]!;
  // The VM's own lxcfs (host side): in the VM's memory cgroup, spared by an OOM there.
  const lxcfsPid = Number(readFileSync(vmPaths(hostNamesForIndex(vm.index).netns).lxcfsPidfile, 'utf8').trim());
  // Lowering it needs CAP_SYS_RESOURCE, which some hosts (this project's dev host) withhold even from root.
  const capEff = BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
  if ((capEff >> 24n) & 1n) assert.equal(readFileSync(`/proc/${lxcfsPid}/oom_score_adj`, 'utf8').trim(), '-1000');
  else t.diagnostic('no CAP_SYS_RESOURCE here: the VM lxcfs keeps oom_score_adj 0');
  assert.match(readFileSync(`/proc/${lxcfsPid}/cgroup`, 'utf8'), new RegExp(`memory:.*/${hostNamesForIndex(vm.index).netns}\\b`));
  const r = await sshExec(vm.guestIp, vm.hostLink, `bash -c '${LOOK.replace(/'/g, `'\\''`)}'`);
  const seen = sections(r.stdout);
  t.diagnostic(r.stdout.slice(0, 3000));

  // Uptime: at least the declared weeks, and every tool agrees on the boot.
  const [now, up] = seen.clock![0]!.split(' ').map(Number) as [number, number];
  const boot = now - up;
  assert.ok(up >= UPTIME_DAYS * DAY_S, `uptime ${up} s is under ${UPTIME_DAYS} days`);
  assert.ok(Math.abs(epoch(`${seen.clock![1]!.replace(' ', 'T')}Z`) - boot) <= 2, `uptime -s ${seen.clock![1]} is the boot`);
  assert.ok(Math.abs(Number(seen.clock![2]) - boot) <= 60, `who -b says the same boot (${seen.clock![2]} vs ${boot})`);
  // No process starts before the boot or in the future (lxcfs's /proc/stat follows the VM's clocks too).
  const starts = seen.starts!.map(Number);
  assert.ok(starts.length > 5);
  for (const st of starts) assert.ok(st >= boot - 1 && st <= now + 2, `a process started at ${st}, boot ${boot}, now ${now}`);

  // Setup files were there before the boot; the culprit changed when the push struck.
  const mtime = Object.fromEntries(seen.mtimes!.map((l) => l.split(' ')).map(([p, m]) => [p!, Number(m)]));
  for (const f of ['/etc/hostname', '/etc/hosts', '/etc/default/pudu-agent']) assert.ok(mtime[f]! < boot, `${f} is older than the boot`);
  const culprit = mtime['/etc/default/app-server']!;
  assert.ok(culprit >= startedAt - 1 && culprit <= now, 'the config file changed when the incident began');
  // Only what the deploy log says changed since: the app's last release and the culprit.
  assert.deepEqual((seen.newer ?? []).sort(), ['/etc/default/app-server', '/opt/app-server/app-server.mjs'], 'nothing else of /etc, /usr, /opt or /root changed since the boot');

  // The deploy log: earlier changes, then the push and the debug logging, each at its strike.
  const deploy = seen.deploy!;
  const at = (ticket: string): number => {
    const line = deploy.find((l) => l.includes(ticket));
    assert.ok(line, `${ticket} in the deploy log:\n${deploy.join('\n')}`);
    return epoch(line.split(' ')[0]!);
  };
  assert.ok(deploy.length >= 5, 'earlier deploys are on record');
  assert.ok(Math.abs(at('CHG-1040') - (startedAt - 2 * DAY_S)) <= 60, 'the scenario\'s earlier change, two days back');
  assert.ok(Math.abs(at('CHG-1042') - culprit) <= 3, 'CHG-1042 is logged when the file changed');
  const fill = mtime['/var/log/app/debug.log']!;
  assert.ok(at('CHG-1043') >= at('CHG-1042') && Math.abs(at('CHG-1043') - fill) <= 5, 'the debug-logging change is on record even though the disk is full now');
  const lastRelease = deploy.filter((l) => l.includes(' deployed by ')).at(-1)!;
  assert.equal(mtime['/opt/app-server/app-server.mjs'], epoch(lastRelease.split(' ')[0]!), 'the app bundle is dated by its last release');
  assert.deepEqual(deploy.map((l) => epoch(l.split(' ')[0]!)), [...deploy.map((l) => epoch(l.split(' ')[0]!))].sort((a, b) => a - b), 'in time order');

  // Service logs of the days before, rotated as Debian rotates them.
  for (const f of ['access.log.1', 'access.log.2.gz', 'access.log.7.gz', 'postgresql-15-main.log.1', 'postgresql-15-main.log.2.gz']) {
    assert.ok(seen.logs!.includes(f), `${f} in ${seen.logs!.join(' ')}`);
  }
  const yesterday = new Date((now - DAY_S) * 1000);
  assert.match(seen.logs!.find((l) => l.includes('HTTP/1.1')) ?? '', new RegExp(`\\[${String(yesterday.getUTCDate()).padStart(2, '0')}/`), 'access.log.1 is yesterday\'s');
  const pgOld = seen.logs!.find((l) => / UTC \[\d+\] LOG: /.test(l));
  assert.ok(pgOld && epoch(`${pgOld.slice(0, 19).replace(' ', 'T')}Z`) < now - 7 * DAY_S, `PostgreSQL's log of two weeks ago: ${pgOld}`);

  // Someone was here before: past root sessions, and the shell history the scenario left.
  assert.ok(seen.last!.filter((l) => l.startsWith('root')).length >= 3, seen.last!.join('\n'));
  assert.deepEqual(seen.shell, ['vi /etc/default/app-server']);
  // `last -x`: this boot and the one before, with its shutdown just before this boot (newest first).
  const [thisBoot, shutdown, earlierBoot] = seen.reboots!.map(Number) as [number, number, number];
  assert.ok(Math.abs(thisBoot - boot) <= 60 && shutdown < thisBoot && shutdown > thisBoot - 600 && earlierBoot < shutdown - 20 * DAY_S, seen.reboots!.join(' '));
  // lastlog agrees with wtmp (sshd prints it as "Last login" when the trainee logs in).
  assert.doesNotMatch(seen.lastlog![0]!, /Never logged in/);
  // Nothing of /var/log or /etc is newer than the boot but what the services and the incident wrote since.
  const liveFiles = ['/etc/default', '/var/log/app', '/var/log/deploy.log', '/var/log/lastlog', '/var/log/nginx', '/var/log/postgresql', '/var/log/wtmp', '/var/log/btmp'];
  const unexpected = seen.varlog!.filter((p) => !liveFiles.includes(p) && !p.startsWith('/var/log/journal'));
  assert.deepEqual(unexpected, [], 'only live logs, the login records and the culprit\'s directory changed since the boot');
  // Packages were installed and last upgraded long before this boot.
  const [dpkgLast, dpkgStatus, newerPackages] = seen.dpkg!.map(Number) as [number, number, number];
  assert.ok(dpkgLast < boot && dpkgStatus < boot, `dpkg's last action ${dpkgLast} and status ${dpkgStatus} are before the boot ${boot}`);
  assert.equal(newerPackages, 0, 'no package file changed since the boot');
});
