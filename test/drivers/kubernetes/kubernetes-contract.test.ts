/**
 * Issue 15 acceptance 5: the Kubernetes driver against the real API's rules (no cluster can
 * run here). Every object is validated against the Kubernetes schema and for unknown
 * fields; a fleet's Pods, ConfigMaps, Service and NetworkPolicy are golden-tested; the
 * driver drives a strict stand-in API server with the official client, and the stand-in
 * is shown to refuse what the API refuses (otherwise the contract proves nothing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dumpYaml, type KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { isPuduError } from '@pudu/schema';
import type { FleetSpec } from '../../../packages/drivers/src/driver.ts';
import { KubernetesDriver } from '../../../packages/drivers/src/kubernetes/kubernetes-driver.ts';
import { fleetManifests, kubernetesVmFiles, type KubernetesSettings } from '../../../packages/drivers/src/kubernetes/manifests.ts';
import { assertKnownFields, standInKubeConfig, startFakeApiServer } from './fake-apiserver.ts';
import { ConfigMap, Pod, Service } from 'kubernetes-models/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';

const GOLDEN = new URL('golden/db-connection-fleet.yaml', import.meta.url);
const SETTINGS: KubernetesSettings = { namespace: 'pudu-labs', image: 'registry.example.org/pudu/guest:e9fb01a7', runtimeClassName: 'kata-fc' };
const FLEET: FleetSpec = {
  id: 'f3a9c1',
  vms: [
    { name: 'api-0', tier: 'api', vcpus: 1, memMb: 512, diskMb: 1024, services: ['nginx', 'app-server'] },
    { name: 'api-1', tier: 'api', vcpus: 1, memMb: 512, diskMb: 1024, services: ['nginx', 'app-server'] },
    { name: 'db-0', tier: 'db', vcpus: 0.5, memMb: 1024, diskMb: 2048, services: ['postgresql'] },
  ],
  agent: { publicKey: 'MCowBQYDK2VwAyEAexampleexampleexampleexampleexampleexa' },
};

const kubeConfigFor = (url: string): KubeConfig => standInKubeConfig(url);

function allObjects(): { kind: string; wire: Record<string, unknown> }[] {
  const m = fleetManifests(FLEET, SETTINGS, { 'api-0': Buffer.from('a'), 'api-1': Buffer.from('b'), 'db-0': Buffer.from('c') }, { 'api-0': 0, 'api-1': 1, 'db-0': 2 });
  return [m.networkPolicy, m.service, ...m.configMaps, ...m.pods].map((o) => ({ kind: o.kind!, wire: parseAllDocuments(dumpYaml(o))[0]!.toJS() as Record<string, unknown> }));
}

const VALIDATE: Record<string, (o: Record<string, unknown>) => void> = {
  Pod: (o) => new Pod(o as never).validate(),
  Service: (o) => new Service(o as never).validate(),
  ConfigMap: (o) => new ConfigMap(o as never).validate(),
  NetworkPolicy: (o) => new NetworkPolicy(o as never).validate(),
};

test('a fleet becomes Pods, ConfigMaps, a headless Service and a NetworkPolicy, matching the golden manifests', () => {
  // The wire form once (a second dumpYaml would map `from` through the model again and drop it).
  const text = allObjects().map((o) => stringify(o.wire).trimEnd()).join('\n---\n') + '\n';
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(GOLDEN)) writeFileSync(GOLDEN, text);
  assert.equal(text, readFileSync(GOLDEN, 'utf8'), 'manifests changed: review, then UPDATE_GOLDEN=1 to accept');
  const objs = allObjects();
  const pod = objs.find((o) => o.kind === 'Pod' && (o.wire.metadata as { name: string }).name.endsWith('db-0'))!.wire as { spec: Record<string, unknown> };
  assert.equal(pod.spec.runtimeClassName, 'kata-fc');
  const c = (pod.spec.containers as { resources: { limits: Record<string, string> } }[])[0]!;
  assert.deepEqual(c.resources.limits, { cpu: '500m', memory: '1024Mi', 'ephemeral-storage': '2048Mi' }, 'resources from the tier');
  const np = objs.find((o) => o.kind === 'NetworkPolicy')!.wire as { spec: { policyTypes: string[]; ingress: { from: { podSelector: unknown }[] }[] } };
  assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress'], 'egress is default-deny too');
  assert.deepEqual(np.spec.ingress, [{ from: [{ podSelector: { matchLabels: { 'pudu.dev/fleet': 'pudu-f3a9c1' } } }] }], 'only the fleet reaches a Pod: the server uses exec');
  assert.ok(!JSON.stringify(pod).includes('7777'), 'the agent has no port: it listens on a Unix socket');
});

test('every object validates against the Kubernetes schema and has no field the API does not know', () => {
  for (const o of allObjects()) {
    VALIDATE[o.kind]!(o.wire);
    assertKnownFields(o.wire, `V1${o.kind}`);
  }
});

test('the checks refuse a broken object: a wrong type, an unknown field', () => {
  const pod = allObjects().find((o) => o.kind === 'Pod')!.wire as { spec: { containers: Record<string, unknown>[] } };
  const badType = structuredClone(pod);
  badType.spec.containers[0]!.image = 42;
  assert.throws(() => VALIDATE.Pod!(badType as never), /image must be string/);
  const unknownField = structuredClone(pod);
  unknownField.spec.containers[0]!.hostNetwork = true;
  assert.throws(() => assertKnownFields(unknownField, 'V1Pod'), /unknown field\(s\) \.spec\.containers\[0\]\.hostNetwork/);
});

test('the driver creates the fleet through the official client, waits for readiness, and deletes everything', async (t) => {
  const api = await startFakeApiServer();
  t.after(() => api.close());
  const driver = new KubernetesDriver({ ...SETTINGS, kubeConfig: kubeConfigFor(api.url), bootTimeoutMs: 10_000 });
  const progress: string[] = [];
  const vms = await driver.createFleet(FLEET, { onProgress: (m) => progress.push(m) });
  assert.deepEqual(vms.map((v) => [v.name, v.state, v.driver, v.agentPort]), [['api-0', 'ready', 'kubernetes', 7777], ['api-1', 'ready', 'kubernetes', 7777], ['db-0', 'ready', 'kubernetes', 7777]]);
  assert.ok(vms.every((v) => /^10\.244\.0\.\d+$/.test(v.guestIp)), 'the VM address is its Pod IP');
  const creates = api.calls.filter((c) => c.method === 'POST').map((c) => `${c.path.split('/').at(-1)} ${c.status}`);
  assert.deepEqual(creates, ['networkpolicies 201', 'services 201', 'configmaps 201', 'configmaps 201', 'configmaps 201', 'pods 201', 'pods 201', 'pods 201'], 'policy first, pods last');
  assert.match(await driver.consoleLog(FLEET.id, 'db-0'), /booted/);
  assert.equal((await driver.listVms()).length, 3);
  await driver.destroyFleet(FLEET.id);
  assert.equal(api.objects.size, 0, `left behind: ${[...api.objects.keys()].join(', ')}`);
  assert.equal((await driver.listVms()).length, 0);
});

test('a Pod that fails fails the fleet with its reason, and nothing is left in the cluster', async (t) => {
  const api = await startFakeApiServer();
  t.after(() => api.close());
  api.podFate = 'fail';
  const driver = new KubernetesDriver({ ...SETTINGS, kubeConfig: kubeConfigFor(api.url), bootTimeoutMs: 10_000 });
  await assert.rejects(driver.createFleet(FLEET), (e: unknown) => isPuduError(e, 'VM_START_FAILED') && /container vm exited 1/.test(e.message));
  assert.equal(api.objects.size, 0);
});

test('without a RuntimeClass the driver refuses before calling the API; a name taken in the cluster is CONFLICT', async (t) => {
  const api = await startFakeApiServer();
  t.after(() => api.close());
  const bare = new KubernetesDriver({ ...SETTINGS, runtimeClassName: undefined, kubeConfig: kubeConfigFor(api.url) });
  await assert.rejects(bare.createFleet(FLEET), (e: unknown) => isPuduError(e, 'BAD_REQUEST') && /runtimeClassName/.test(e.message));
  assert.equal(api.calls.length, 0);
  const first = new KubernetesDriver({ ...SETTINGS, kubeConfig: kubeConfigFor(api.url), bootTimeoutMs: 10_000 });
  await first.createFleet(FLEET);
  const second = new KubernetesDriver({ ...SETTINGS, kubeConfig: kubeConfigFor(api.url), bootTimeoutMs: 10_000 });
  await assert.rejects(second.createFleet(FLEET), (e: unknown) => isPuduError(e, 'CONFLICT') && /already exists/.test(e.message));
  await first.destroyFleet(FLEET.id);
});

test('a VM\'s config tar leaves the kubelet\'s files alone, points the agent at its Unix socket and the app at its database by name', () => {
  const files = new Map(kubernetesVmFiles({ ...FLEET, agent: { ...FLEET.agent, opts: ['--deadman', '60s'] } }, FLEET.vms[0]!).map((f) => [f.path, 'content' in f ? f.content : `-> ${f.symlink}`]));
  for (const managed of ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf']) assert.ok(!files.has(managed), `${managed} is the kubelet's (a bind mount: tar would fail on it)`);
  assert.equal(files.get('/etc/default/pudu-agent'), 'PUDU_AGENT_OPTS="--audience f3a9c1/api-0 --listen unix:/run/pudu-agent/agent.sock --deadman 60s"\n');
  assert.match(files.get('/etc/systemd/system/pudu-agent.service.d/kubernetes.conf')!, /RuntimeDirectory=pudu-agent/);
  assert.match(files.get('/etc/default/app-server')!, /^PGHOST=db-0$/m, 'cluster DNS (headless Service + search path) resolves peers by name');
  assert.equal(files.get('/etc/systemd/system/multi-user.target.wants/nginx.service'), '-> /lib/systemd/system/nginx.service');
});

test('VM indexes are unique in the namespace; a restarted driver adopts Pods as they are and re-creates the gone ones at their index', async (t) => {
  const api = await startFakeApiServer();
  t.after(() => api.close());
  const driver = new KubernetesDriver({ ...SETTINGS, kubeConfig: kubeConfigFor(api.url), bootTimeoutMs: 10_000 });
  const first = await driver.createFleet(FLEET);
  const other = { ...FLEET, id: 'f77aa01', vms: FLEET.vms.slice(0, 2) };
  const second = await driver.createFleet(other);
  assert.deepEqual(first.map((v) => v.index), [0, 1, 2]);
  assert.deepEqual(second.map((v) => v.index), [3, 4], 'two fleets never share an index (the terminal finds a VM by it)');
  await driver.destroyFleet(FLEET.id);
  const third = await driver.createFleet({ ...FLEET, id: 'f0c0ffee' });
  assert.deepEqual(third.map((v) => v.index), [0, 1, 2], 'indexes of deleted fleets are free again');

  // A new process (a new leader): nothing in memory. One Pod was lost meanwhile.
  api.objects.delete('pods/pudu-labs/pudu-f77aa01-api-1');
  const fresh = new KubernetesDriver({ ...SETTINGS, kubeConfig: kubeConfigFor(api.url), bootTimeoutMs: 10_000 });
  assert.deepEqual((await fresh.listVms()).map((v) => `${v.fleetId}/${v.name}#${v.index}`).sort(), ['f0c0ffee/api-0#0', 'f0c0ffee/api-1#1', 'f0c0ffee/db-0#2', 'f77aa01/api-0#3']);
  const uidBefore = api.objects.get('pods/pudu-labs/pudu-f77aa01-api-0')!.metadata.uid;
  const adopted = await fresh.adoptFleet(other);
  assert.deepEqual(adopted.replaced, ['api-1']);
  assert.deepEqual(adopted.vms.map((v) => [v.name, v.index, v.state]), [['api-0', 3, 'ready'], ['api-1', 4, 'ready']]);
  assert.equal(api.objects.get('pods/pudu-labs/pudu-f77aa01-api-0')!.metadata.uid, uidBefore, 'the running Pod was kept, not re-created');
  assert.match(await fresh.consoleLog(other.id, 'api-1'), /booted/);
  await fresh.destroyFleet(other.id);
  await fresh.destroyFleet('f0c0ffee');
  assert.equal(api.objects.size, 0, `left behind: ${[...api.objects.keys()].join(', ')}`);
});
