/**
 * A stand-in for the Kubernetes API server (no cluster can run here), strict where the real
 * one is: a bearer token on every request; every object checked against the Kubernetes
 * schema (npm kubernetes-models) and for fields the API does not know (a round trip through
 * @kubernetes/client-node's own model); kind/apiVersion must match the endpoint, the
 * namespace the path, names must be unique; errors are `Status` objects with the real
 * reasons and codes; `pods/exec` is the WebSocket protocol of fake-exec.ts. What runs the
 * Pods is a FakeKubelet (fake-kubelet.ts): host processes, or real sandbox VMs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { ConfigMap, Pod, Service } from 'kubernetes-models/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { createExecHub, EXEC_PROTOCOLS, ExecRefusal, parseExecQuery, pickProtocol, type ExecHub } from './fake-exec.ts';
import { hostKubelet, type FakeKubelet, type PodFate } from './fake-kubelet.ts';
import type { KubeObject } from './fake-pod-config.ts';

export const STAND_IN_TOKEN = 'stand-in-token';

/** A kubeconfig for the stand-in, as `kubectl config` would write one. */
export function standInKubeConfig(url: string, token = STAND_IN_TOKEN): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'stand-in', server: url, skipTLSVerify: true }],
    users: [{ name: 'pudu', token }],
    contexts: [{ name: 'stand-in', cluster: 'stand-in', user: 'pudu', namespace: 'pudu-labs' }],
    currentContext: 'stand-in',
  });
  return kc;
}

const RESOURCES: Record<string, { group: string; kind: string; type: string; validate: (o: unknown) => void }> = {
  pods: { group: 'api/v1', kind: 'Pod', type: 'V1Pod', validate: (o) => new Pod(o as never).validate() },
  services: { group: 'api/v1', kind: 'Service', type: 'V1Service', validate: (o) => new Service(o as never).validate() },
  configmaps: { group: 'api/v1', kind: 'ConfigMap', type: 'V1ConfigMap', validate: (o) => new ConfigMap(o as never).validate() },
  networkpolicies: { group: 'apis/networking.k8s.io/v1', kind: 'NetworkPolicy', type: 'V1NetworkPolicy', validate: (o) => new NetworkPolicy(o as never).validate() },
};

export interface RecordedCall { method: string; path: string; status: number }

export interface FakeApiServer {
  url: string;
  calls: RecordedCall[];
  objects: Map<string, KubeObject>;
  /** What Pods do once created under the default kubelet: become ready, fail, or stay pending. */
  podFate: PodFate;
  exec: ExecHub;
  close(): Promise<void>;
}

/** Throws a description of every field `wire` has that the API's model of `type` does not. */
export function assertKnownFields(wire: unknown, type: string): void {
  const back = JSON.parse(JSON.stringify(ObjectSerializer.serialize(ObjectSerializer.deserialize(wire, type, ""), type, ""))) as unknown;
  const unknown: string[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (Array.isArray(a)) a.forEach((x, i) => walk(x, (b as unknown[] | undefined)?.[i], `${path}[${i}]`));
    else if (a && typeof a === 'object') {
      for (const [k, v] of Object.entries(a)) {
        if (!b || typeof b !== 'object' || !(k in b)) unknown.push(`${path}.${k}`);
        else walk(v, (b as Record<string, unknown>)[k], `${path}.${k}`);
      }
    }
  };
  walk(wire, back, '');
  // Free-form maps (labels, data) come back whole; anything missing is a field the API would reject.
  if (unknown.length) throw new Error(`unknown field(s) ${unknown.join(', ')}`);
}

function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

function matches(o: KubeObject, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    if (!k || v === undefined || !/^[\w./-]+$/.test(k)) throw new Error(`invalid label selector ${selector}`);
    return o.metadata.labels?.[k] === v;
  });
}

async function body(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

const OBJECT_PATH = /^\/(api\/v1|apis\/networking\.k8s\.io\/v1)\/namespaces\/([a-z0-9-]+)\/(\w+)(?:\/([a-z0-9.-]+))?(?:\/(log|exec))?$/;

/** Starts the stand-in on a loopback port; `kubelet` runs its Pods (default: host processes, `podFate` decides readiness). */
export async function startFakeApiServer(o: { kubelet?: FakeKubelet; execProtocols?: readonly string[] } = {}): Promise<FakeApiServer> {
  const objects = new Map<string, KubeObject>();
  const calls: RecordedCall[] = [];
  const protocols = o.execProtocols ?? EXEC_PROTOCOLS;
  const exec = createExecHub(protocols);
  const fake: FakeApiServer = { url: '', calls, objects, podFate: 'ready', exec, close: async () => {} };
  const kubelet = o.kubelet ?? hostKubelet(() => fake.podFate);
  const authorized = (req: IncomingMessage): boolean => req.headers.authorization === `Bearer ${STAND_IN_TOKEN}`;

  const server: Server = createServer((req, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const send = (code: number, obj: unknown): void => {
        calls.push({ method: req.method ?? '', path: url.pathname, status: code });
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      const fail = (code: number, reason: string, message: string): void => {
        calls.push({ method: req.method ?? '', path: url.pathname, status: code });
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(statusBody(code, reason, message));
      };
      if (!authorized(req)) return fail(401, 'Unauthorized', 'Unauthorized');
      const m = OBJECT_PATH.exec(url.pathname);
      const r = m ? RESOURCES[m[3]!] : undefined;
      if (!m || !r || r.group !== m[1]) return fail(404, 'NotFound', `the server could not find the requested resource ${url.pathname}`);
      // sub: the Pod's subresource (Kubernetes' pods/log, pods/exec).
      const [, , ns, resource, name, sub] = m;
      const key = (n: string): string => `${resource}/${ns}/${n}`;
      if (sub === 'exec') return fail(400, 'BadRequest', 'Upgrade request required');
      try {
        if (req.method === 'POST' && !name) {
          if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return fail(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
          const obj = JSON.parse(await body(req)) as KubeObject;
          if (obj.kind !== r.kind || obj.apiVersion !== (r.group === 'api/v1' ? 'v1' : 'networking.k8s.io/v1')) return fail(400, 'BadRequest', `the API version in the data (${obj.apiVersion}) does not match the expected API version`);
          if (obj.metadata.namespace && obj.metadata.namespace !== ns) return fail(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
          try {
            r.validate(obj);
            assertKnownFields(obj, r.type);
          } catch (e) {
            return fail(422, 'Invalid', `${r.kind} "${obj.metadata.name}" is invalid: ${(e as Error).message}`);
          }
          if (objects.has(key(obj.metadata.name))) return fail(409, 'AlreadyExists', `${resource} "${obj.metadata.name}" already exists`);
          const stored = { ...obj, metadata: { ...obj.metadata, namespace: ns, uid: `uid-${objects.size}` } } as KubeObject;
          if (resource === 'pods') stored.status = { phase: 'Pending' };
          objects.set(key(obj.metadata.name), stored);
          return send(201, stored);
        }
        if (req.method === 'GET' && !name) {
          const items = [...objects.entries()].filter(([k, x]) => k.startsWith(`${resource}/${ns}/`) && matches(x, url.searchParams.get('labelSelector'))).map(([, x]) => x);
          if (resource === 'pods') await kubelet.sync(items, objects);
          return send(200, { kind: `${r.kind}List`, apiVersion: 'v1', metadata: {}, items });
        }
        if (req.method === 'GET' && name && sub === 'log') {
          if (!objects.has(key(name))) return fail(404, 'NotFound', `pods "${name}" not found`);
          calls.push({ method: 'GET', path: url.pathname, status: 200 });
          res.writeHead(200, { 'content-type': 'text/plain' });
          return res.end(`systemd[1]: Reached target multi-user.target.\n${name} booted\n`);
        }
        if (req.method === 'GET' && name) {
          const obj = objects.get(key(name));
          if (!obj) return fail(404, 'NotFound', `${resource} "${name}" not found`);
          if (resource === 'pods') await kubelet.sync([obj], objects);
          return send(200, obj);
        }
        if (req.method === 'DELETE' && !name) {
          const gone = [...objects.keys()].filter((k) => k.startsWith(`${resource}/${ns}/`) && matches(objects.get(k)!, url.searchParams.get('labelSelector')));
          for (const k of gone) {
            const obj = objects.get(k)!;
            objects.delete(k);
            if (resource === 'pods') await kubelet.remove(obj);
          }
          return send(200, { kind: `${r.kind}List`, apiVersion: 'v1', metadata: {}, items: [] });
        }
        if (req.method === 'DELETE' && name) {
          const obj = objects.get(key(name));
          if (!obj) return fail(404, 'NotFound', `${resource} "${name}" not found`);
          objects.delete(key(name));
          if (resource === 'pods') await kubelet.remove(obj);
          return send(200, { kind: 'Status', apiVersion: 'v1', status: 'Success' });
        }
        return fail(405, 'MethodNotAllowed', `${req.method} is not supported on ${url.pathname}`);
      } catch (e) {
        return fail(400, 'BadRequest', (e as Error).message);
      }
    })();
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const refuse = (code: number, reason: string, message: string): void => {
      calls.push({ method: req.method ?? '', path: url.pathname, status: code });
      const b = statusBody(code, reason, message);
      socket.end(`HTTP/1.1 ${code} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(b)}\r\nconnection: close\r\n\r\n${b}`);
    };
    if (!authorized(req)) return refuse(401, 'Unauthorized', 'Unauthorized');
    const m = OBJECT_PATH.exec(url.pathname);
    if (!m || m[1] !== 'api/v1' || m[3] !== 'pods' || !m[4] || m[5] !== 'exec') return refuse(404, 'NotFound', `the server could not find the requested resource ${url.pathname}`);
    if (req.method !== 'GET' && req.method !== 'POST') return refuse(405, 'MethodNotAllowed', `${req.method} is not supported on ${url.pathname}`);
    const pod = objects.get(`pods/${m[2]}/${m[4]}`);
    if (!pod) return refuse(404, 'NotFound', `pods "${m[4]}" not found`);
    try {
      if (pod.status?.phase !== 'Running') throw new ExecRefusal(400, 'BadRequest', `pod ${m[4]} is not running (phase ${String(pod.status?.phase)})`);
      const containers = ((pod.spec as { containers: { name: string }[] }).containers).map((c) => c.name);
      const execReq = parseExecQuery(url.searchParams, { name: m[4], namespace: m[2]!, containers });
      pickProtocol(req.headers['sec-websocket-protocol'], protocols);
      calls.push({ method: req.method, path: url.pathname, status: 101 });
      exec.upgrade(req, socket, head, execReq, (x) => kubelet.exec(pod, x));
    } catch (e) {
      if (e instanceof ExecRefusal) return refuse(e.code, e.reason, e.message);
      return refuse(500, 'InternalError', (e as Error).message);
    }
  });

  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = async () => {
    exec.close();
    server.closeAllConnections();
    await new Promise<void>((res) => server.close(() => res()));
    await kubelet.close();
  };
  return fake;
}
