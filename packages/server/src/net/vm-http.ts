/**
 * An HTTP request from the server to a port of a VM, as the checks make it: over a stream
 * the driver carries when it has one (kubernetes: exec to a relay on the Pod's loopback),
 * else straight to the VM's address once the route is checked to go through its own link.
 */
import { request, type RequestOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { AgentTarget } from '../runner/agent-port.ts';
import { assertRouteThrough } from './route-guard.ts';

export type VmHttpTarget = Pick<AgentTarget, 'vmName' | 'guestIp' | 'hostLink' | 'stream'>;

export interface VmHttpRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Resolves with the status and body text; rejects on transport errors and after `timeoutMs`. Redirects are not followed. */
export async function vmHttp(vm: VmHttpTarget, port: number, path: string, init: VmHttpRequest, timeoutMs: number): Promise<{ status: number; body: string }> {
  const p = path.startsWith('/') ? path : `/${path}`;
  const stream = vm.stream;
  if (!stream) {
    await assertRouteThrough(vm.guestIp, vm.hostLink);
    const res = await fetch(`http://${vm.guestIp}:${port}${p}`, { ...init, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    return { status: res.status, body: await res.text().catch(() => '') };
  }
  const body = init.body === undefined ? undefined : Buffer.from(init.body);
  return new Promise((resolve, reject) => {
    const req = request({
      method: init.method ?? 'GET', path: p,
      headers: { ...init.headers, host: `${vm.vmName}:${port}`, connection: 'close', ...(body ? { 'content-length': String(body.length) } : {}) },
      createConnection: (_o: unknown, cb: (err: Error | null, s?: Socket) => void) => {
        stream({ port }).then((s) => cb(null, s as Socket), (e: Error) => cb(e));
        return undefined;
      },
    } as RequestOptions);
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      reject(e);
    };
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', fail);
    });
    req.end(body);
  });
}
