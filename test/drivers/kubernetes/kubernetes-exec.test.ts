/**
 * The exec channel the server uses for Kubernetes VMs (agent, http checks, terminals),
 * through the official client against the stand-in's strict `pods/exec` (subprotocols,
 * query rules, channel framing, Status on channel 3). The stand-in's kubelet runs the
 * commands as host processes here; test/server/kubernetes-e2e.test.ts runs them in VMs.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type RequestOptions } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isPuduError } from '@pudu/schema';
import { createConfiguration, ServerConfiguration } from '@kubernetes/client-node';
import { CoreV1ApiRequestFactory } from '@kubernetes/client-node/dist/gen/apis/CoreV1Api.js';
import { Status } from '@kubernetes-models/apimachinery/apis/meta/v1/Status';
import { openExecStream } from '../../../packages/drivers/src/kubernetes/exec-stream.ts';
import { KubernetesDriver } from '../../../packages/drivers/src/kubernetes/kubernetes-driver.ts';
import type { FleetSpec } from '../../../packages/drivers/src/driver.ts';
import { assertKnownFields, standInKubeConfig, startFakeApiServer, type FakeApiServer } from './fake-apiserver.ts';
import { pickProtocol, parseExecQuery } from './fake-exec.ts';

const NS = 'pudu-labs';
const FLEET: FleetSpec = { id: 'fexec01', vms: [{ name: 'vm-0', tier: 'vm', vcpus: 1, memMb: 512, diskMb: 1024, services: [] }] };
const POD = 'pudu-fexec01-vm-0';

async function withFleet(t: TestContext, o: { execProtocols?: readonly string[] } = {}): Promise<{ api: FakeApiServer; driver: KubernetesDriver }> {
  const api = await startFakeApiServer(o);
  t.after(() => api.close());
  const driver = new KubernetesDriver({ namespace: NS, image: 'registry.example.org/pudu/guest:1', runtimeClassName: 'kata-fc', kubeConfig: standInKubeConfig(api.url), bootTimeoutMs: 10_000 });
  await driver.createFleet(FLEET);
  return { api, driver };
}

function collect(s: NodeJS.ReadableStream): Promise<string> {
  return new Promise((res, rej) => {
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString()));
    s.on('end', () => res(out));
    s.on('error', rej);
  });
}

test('an exec stream carries stdin to the command and its stdout back; closing our side (v5) ends its stdin', async (t) => {
  const { api, driver } = await withFleet(t);
  const kc = standInKubeConfig(api.url);
  const s = await openExecStream(kc, { namespace: NS, pod: POD, container: 'vm', command: ['sh', '-c', 'cat; echo " and done"'] });
  const out = collect(s);
  s.end('bytes \x00\xff through');
  assert.equal(await out, 'bytes \x00\xff through and done\n');
  assert.equal(api.exec.execs.at(-1)!.protocol, 'v5.channel.k8s.io');
  assert.deepEqual(api.exec.execs.at(-1)!.status, { metadata: {}, status: 'Success' });
  assert.deepEqual(api.exec.protocolErrors, []);
  await driver.destroyFleet(FLEET.id);
});

test('a command that fails ends the stream with its exit code and stderr; one that cannot start says why', async (t) => {
  const { api } = await withFleet(t);
  const kc = standInKubeConfig(api.url);
  const failing = await openExecStream(kc, { namespace: NS, pod: POD, container: 'vm', command: ['sh', '-c', 'echo "nc: unix connect failed: No such file or directory" >&2; exit 1'] });
  await assert.rejects(collect(failing), (e: unknown) => isPuduError(e, 'AGENT_UNREACHABLE') && /exit code 1 \(nc: unix connect failed/.test(e.message));
  const missing = await openExecStream(kc, { namespace: NS, pod: POD, container: 'vm', command: ['/no/such/relay'] });
  missing.end();
  await assert.rejects(collect(missing), (e: unknown) => isPuduError(e, 'AGENT_UNREACHABLE') && /no\/such\/relay/.test(e.message));
  assert.deepEqual(api.exec.protocolErrors, []);
});

test('the stand-in refuses what the API server refuses: no command, a wrong container, no stream, no shared subprotocol, no token', async (t) => {
  const pod = { name: POD, namespace: NS, containers: ['vm'] };
  assert.throws(() => parseExecQuery(new URLSearchParams('stdout=true'), pod), /at least one command/);
  assert.throws(() => parseExecQuery(new URLSearchParams('command=ls&container=app&stdout=true'), pod), /container app is not valid/);
  assert.throws(() => parseExecQuery(new URLSearchParams('command=ls'), pod), /at least 1 of stdin, stdout, stderr/);
  assert.throws(() => parseExecQuery(new URLSearchParams('command=ls&stdout=yes'), pod), /ParseBool/);
  assert.equal(parseExecQuery(new URLSearchParams('command=bash&stdin=true&stdout=true&stderr=true&tty=true'), pod).stderr, false, 'a tty drops stderr, as the kubelet does');
  assert.throws(() => pickProtocol('channel.k8s.io, base64.channel.k8s.io'), /not supported/);
  assert.equal(pickProtocol('v5.channel.k8s.io, v4.channel.k8s.io'), 'v5.channel.k8s.io');

  const { api } = await withFleet(t);
  const wrongContainer = openExecStream(standInKubeConfig(api.url), { namespace: NS, pod: POD, container: 'app', command: ['true'] });
  await assert.rejects(wrongContainer, (e: unknown) => isPuduError(e) && /400/.test(e.message));
  const noToken = openExecStream(standInKubeConfig(api.url, 'wrong-token'), { namespace: NS, pod: POD, container: 'vm', command: ['true'] });
  await assert.rejects(noToken, (e: unknown) => isPuduError(e, 'FORBIDDEN') && /401/.test(e.message));
  const noPod = openExecStream(standInKubeConfig(api.url), { namespace: NS, pod: 'pudu-nope-vm-0', container: 'vm', command: ['true'] });
  await assert.rejects(noPod, (e: unknown) => isPuduError(e, 'VM_NOT_FOUND'));
});

test('an HTTP exchange runs over the driver\'s stream on v4 and v5 (node:http takes it as its socket)', async (t) => {
  const target = createServer((req, res) => {
    res.setHeader('connection', 'close');
    res.end(`${req.method} ${req.url} host=${req.headers.host}`);
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  t.after(() => target.close());
  const port = (target.address() as AddressInfo).port;
  for (const protocols of [['v5.channel.k8s.io', 'v4.channel.k8s.io'], ['v4.channel.k8s.io']]) {
    const { api } = await withFleet(t, { execProtocols: protocols });
    const kc = standInKubeConfig(api.url);
    // What `nc -N 127.0.0.1 PORT` does in the Pod, by a process the stand-in can run on this host.
    const relay = ['node', '-e', `const s=require('net').connect(${port},'127.0.0.1');process.stdin.pipe(s);s.pipe(process.stdout);`];
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({
        path: '/probe?x=1', headers: { host: 'vm-0:8080', connection: 'close' },
        createConnection: (_o: unknown, cb: (e: Error | null, s?: Socket) => void) => {
          openExecStream(kc, { namespace: NS, pod: POD, container: 'vm', command: relay }).then((s) => cb(null, s as unknown as Socket), cb);
          return undefined;
        },
      } as RequestOptions, (res) => void collect(res).then(resolve, reject));
      req.on('error', reject);
      req.end();
    });
    assert.equal(body, 'GET /probe?x=1 host=vm-0:8080', `over ${protocols[0]}`);
    assert.equal(api.exec.execs.at(-1)!.protocol, protocols[0]);
    assert.deepEqual(api.exec.protocolErrors, []);
  }
});

test('a shell gets a terminal of the asked size, follows resizes, and ends when the shell exits', async (t) => {
  const { api, driver } = await withFleet(t);
  const shell = await driver.openShell(FLEET.id, 'vm-0', { cols: 91, rows: 27 });
  let out = '';
  shell.onData((d) => (out += d.toString()));
  const closed = new Promise<void>((r) => shell.onClose(r));
  const until = async (re: RegExp): Promise<void> => {
    for (let i = 0; i < 200 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, re);
  };
  shell.write(Buffer.from('echo "term=$TERM"; stty size\n'));
  await until(/term=xterm-256color[\s\S]*27 91/);
  shell.resize(120, 40);
  await new Promise((r) => setTimeout(r, 300));
  shell.write(Buffer.from('stty size; exit\n'));
  await until(/40 120/);
  await closed;
  const rec = api.exec.execs.at(-1)!;
  assert.equal(rec.request.tty, true);
  assert.equal(rec.request.stderr, false);
  assert.deepEqual(rec.resizes, [{ cols: 91, rows: 27 }, { cols: 120, rows: 40 }]);
  assert.deepEqual(api.exec.protocolErrors, []);
});

test('contract: the stand-in reads exec options as the OpenAPI operation names them, and every Status it sends is a valid meta/v1 Status', async (t) => {
  // The request factory is generated from the Kubernetes OpenAPI document (connectGetNamespacedPodExec).
  const factory = new CoreV1ApiRequestFactory(createConfiguration({ baseServer: new ServerConfiguration('https://cluster.invalid', {}) }));
  const ctx = await factory.connectGetNamespacedPodExec(POD, NS, 'uname', 'vm', false, true, true, false);
  const url = new URL(ctx.getUrl());
  assert.deepEqual(url.pathname.split('/'), ['', 'api', 'v1', 'namespaces', NS, 'pods', POD, 'exec'], 'Kubernetes\' core/v1 pods/exec');
  const pod = { name: POD, namespace: NS, containers: ['vm'] };
  assert.deepEqual(parseExecQuery(url.searchParams, pod), { pod: POD, namespace: NS, container: 'vm', command: ['uname'], stdin: true, stdout: true, stderr: false, tty: false });
  const withTty = await factory.connectGetNamespacedPodExec(POD, NS, 'bash', 'vm', true, true, true, true);
  assert.equal(parseExecQuery(new URL(withTty.getUrl()).searchParams, pod).tty, true);

  const { api } = await withFleet(t);
  const kc = standInKubeConfig(api.url);
  for (const command of [['true'], ['sh', '-c', 'exit 3'], ['/no/such/relay']]) {
    const s = await openExecStream(kc, { namespace: NS, pod: POD, container: 'vm', command });
    s.end();
    await collect(s).catch(() => undefined);
  }
  const statuses = api.exec.execs.map((e) => e.status);
  assert.equal(statuses.length, 3);
  for (const st of statuses) {
    // The wire form adds kind/apiVersion only on typed responses; channel 3 carries the bare object, as the kubelet writes it.
    new Status({ ...(st as object) } as never).validate();
    assertKnownFields(st, 'V1Status');
  }
  assert.deepEqual((statuses[1] as { details: unknown }).details, { causes: [{ reason: 'ExitCode', message: '3' }] });
  assert.throws(() => new Status({ status: 'Failure', code: '500' } as never).validate(), /code must be integer/);
});
