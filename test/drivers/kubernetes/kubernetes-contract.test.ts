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
import { KubeConfig, dumpYaml } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { isPuduError } from '@pudu/schema';
import type { FleetSpec } from '../../../packages/drivers/src/driver.ts';
import { KubernetesDriver } from '../../../packages/drivers/src/kubernetes/kubernetes-driver.ts';
import { fleetManifests, type KubernetesSettings } from '../../../packages/drivers/src/kubernetes/manifests.ts';
import { assertKnownFields, startFakeApiServer } from './fake-apiserver.ts';
import { ConfigMap, Pod, Service } from 'kubernetes-models/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';

const GOLDEN = new URL('golden/db-connection-fleet.yaml', import.meta.url);
const SETTINGS: KubernetesSettings = { namespace: 'pudu-labs', image: 'registry.example.org/pudu/guest:e9fb01a7', runtimeClassName: 'kata-fc', agentPort: 7777, controlPlaneNamespace: 'pudu' };
const FLEET: FleetSpec = {
  id: 'f3a9c1',
  vms: [
    { name: 'api-0', tier: 'api', vcpus: 1, memMb: 512, diskMb: 1024, services: ['nginx', 'app-server'] },
    { name: 'api-1', tier: 'api', vcpus: 1, memMb: 512, diskMb: 1024, services: ['nginx', 'app-server'] },
    { name: 'db-0', tier: 'db', vcpus: 0.5, memMb: 1024, diskMb: 2048, services: ['postgresql'] },
  ],
  agent: { publicKey: 'MCowBQYDK2VwAyEAexampleexampleexampleexampleexampleexa' },
};

function kubeConfigFor(url: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'stand-in', server: url, skipTLSVerify: true }],
    users: [{ name: 'pudu', token: 'stand-in-token' }],
    contexts: [{ name: 'stand-in', cluster: 'stand-in', user: 'pudu' }],
    currentContext: 'stand-in',
  });
  return kc;
}

function allObjects(): { kind: string; wire: Record<string, unknown> }[] {
  const m = fleetManifests(FLEET, SETTINGS, { 'api-0': Buffer.from('a'), 'api-1': Buffer.from('b'), 'db-0': Buffer.from('c') });
  return [m.networkPolicy, m.service, ...m.configMaps, ...m.pods].map((o) => ({ kind: o.kind!, wire: parseAllDocuments(dumpYaml(o))[0]!.toJS() as Record<string, unknown> }));
}

const VALIDATE: Record<string, (o: Record<string, unknown>) => void> = {
  Pod: (o) => new Pod(o as never).validate(),
  Service: (o) => new Service(o as never).validate(),
  ConfigMap: (o) => new ConfigMap(o as never).validate(),
  NetworkPolicy: (o) => new NetworkPolicy(o as never).validate(),
};

test('a fleet becomes Pods, ConfigMaps, a headless Service and a NetworkPolicy, matching the golden manifests', () => {
  const text = allObjects().map((o) => dumpYaml(o.wire).trimEnd()).join('\n---\n') + '\n';
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(GOLDEN)) writeFileSync(GOLDEN, text);
  assert.equal(text, readFileSync(GOLDEN, 'utf8'), 'manifests changed: review, then UPDATE_GOLDEN=1 to accept');
  const objs = allObjects();
  const pod = objs.find((o) => o.kind === 'Pod' && (o.wire.metadata as { name: string }).name.endsWith('db-0'))!.wire as { spec: Record<string, unknown> };
  assert.equal(pod.spec.runtimeClassName, 'kata-fc');
  const c = (pod.spec.containers as { resources: { limits: Record<string, string> } }[])[0]!;
  assert.deepEqual(c.resources.limits, { cpu: '500m', memory: '1024Mi', 'ephemeral-storage': '2048Mi' }, 'resources from the tier');
  const np = objs.find((o) => o.kind === 'NetworkPolicy')!.wire as { spec: { policyTypes: string[]; egress: { to: unknown[] }[] } };
  assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress'], 'egress is default-deny too');
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
