/**
 * A stand-in for the Kubernetes API server (no cluster can run here), strict where the real
 * one is: every object is checked against the Kubernetes schema (npm kubernetes-models) and
 * for fields the API does not know (a round trip through @kubernetes/client-node's own
 * model), kind/apiVersion must match the endpoint, the namespace must match the path, names
 * must be unique; errors are `Status` objects with the real reasons and codes. Pods turn
 * Running and Ready (with an IP) on the next list, or Failed, as the test asks.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { ConfigMap, Pod, Service } from 'kubernetes-models/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';

interface KubeObject { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; status?: Record<string, unknown> }

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
  /** What pods do once created: become ready (default), fail, or stay pending. */
  podFate: 'ready' | 'fail' | 'pending';
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

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
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

/** Starts the stand-in on a loopback port. */
export async function startFakeApiServer(): Promise<FakeApiServer> {
  const objects = new Map<string, KubeObject>();
  const calls: RecordedCall[] = [];
  let nextIp = 10;
  const fake: FakeApiServer = { url: '', calls, objects, podFate: 'ready', close: async () => {} };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const send = (code: number, obj: unknown): void => {
        calls.push({ method: req.method ?? '', path: url.pathname, status: code });
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      const fail = (code: number, reason: string, message: string): void => {
        calls.push({ method: req.method ?? '', path: url.pathname, status: code });
        status(res, code, reason, message);
      };
      const m = /^\/(api\/v1|apis\/networking\.k8s\.io\/v1)\/namespaces\/([a-z0-9-]+)\/(\w+)(?:\/([a-z0-9.-]+))?(\/log)?$/.exec(url.pathname);
      const r = m ? RESOURCES[m[3]!] : undefined;
      if (!m || !r || r.group !== m[1]) return fail(404, 'NotFound', `the server could not find the requested resource ${url.pathname}`);
      const [, , ns, resource, name, log] = m;
      const key = (n: string): string => `${resource}/${ns}/${n}`;
      try {
        if (req.method === 'POST' && !name) {
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
          const items = [...objects.entries()].filter(([k, o]) => k.startsWith(`${resource}/${ns}/`) && matches(o, url.searchParams.get('labelSelector'))).map(([, o]) => o);
          if (resource === 'pods') {
            for (const p of items) {
              if (p.status?.phase !== 'Pending' || fake.podFate === 'pending') continue;
              p.status = fake.podFate === 'fail'
                ? { phase: 'Failed', reason: 'Error', message: 'container vm exited 1' }
                : { phase: 'Running', podIP: `10.244.0.${nextIp++}`, hostIP: '192.0.2.10', conditions: [{ type: 'Ready', status: 'True' }] };
            }
          }
          return send(200, { kind: `${r.kind}List`, apiVersion: 'v1', metadata: {}, items });
        }
        if (req.method === 'GET' && name && log) {
          if (!objects.has(key(name))) return fail(404, 'NotFound', `pods "${name}" not found`);
          calls.push({ method: 'GET', path: url.pathname, status: 200 });
          res.writeHead(200, { 'content-type': 'text/plain' });
          return res.end(`systemd[1]: Reached target multi-user.target.\n${name} booted\n`);
        }
        if (req.method === 'DELETE' && !name) {
          const gone = [...objects.keys()].filter((k) => k.startsWith(`${resource}/${ns}/`) && matches(objects.get(k)!, url.searchParams.get('labelSelector')));
          for (const k of gone) objects.delete(k);
          return send(200, { kind: `${r.kind}List`, apiVersion: 'v1', metadata: {}, items: [] });
        }
        if (req.method === 'DELETE' && name) {
          if (!objects.delete(key(name))) return fail(404, 'NotFound', `${resource} "${name}" not found`);
          return send(200, { kind: 'Status', apiVersion: 'v1', status: 'Success' });
        }
        return fail(405, 'MethodNotAllowed', `${req.method} is not supported on ${url.pathname}`);
      } catch (e) {
        return fail(400, 'BadRequest', (e as Error).message);
      }
    })();
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise((res) => server.close(() => res()));
  return fake;
}
