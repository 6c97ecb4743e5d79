/**
 * A client for the Firecracker API: HTTP/1.1 over the `--api-sock` Unix socket. Every
 * non-2xx answer becomes a PuduError carrying Firecracker's `fault_message`.
 */
import { request } from 'node:http';
import { PuduError } from '@pudu/schema';
import type {
  ActionType, BootSource, Drive, InstanceInfo, LoggerConfig, MachineConfig, MetricsConfig,
  MmdsConfig, NetworkInterface, SnapshotCreate, SnapshotLoad, Vsock,
} from './api-types.ts';

const REQUEST_TIMEOUT_MS = 10_000;

export interface FirecrackerApiError {
  status: number;
  faultMessage: string;
  method: string;
  path: string;
}

export class FirecrackerApi {
  constructor(readonly socketPath: string) {}

  /** Sends one request; resolves with the parsed body (undefined for 204). */
  async call<T = unknown>(method: 'GET' | 'PUT' | 'PATCH', path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = request({
        socketPath: this.socketPath, method, path, timeout: REQUEST_TIMEOUT_MS,
        headers: { accept: 'application/json', ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => { text += d; }).on('end', () => {
          const status = res.statusCode ?? 0;
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = text;
          }
          if (status >= 200 && status < 300) {
            resolve(parsed as T);
            return;
          }
          const faultMessage = typeof parsed === 'object' && parsed !== null && 'fault_message' in parsed
            ? String((parsed as { fault_message: unknown }).fault_message)
            : text || `HTTP ${status}`;
          const details: FirecrackerApiError = { status, faultMessage, method, path };
          reject(new PuduError('VM_START_FAILED', `firecracker ${method} ${path}: ${status} ${faultMessage}`, details));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', (e) => reject(new PuduError('VM_START_FAILED', `firecracker ${method} ${path}: ${e.message}`, { method, path })));
      req.end(payload);
    });
  }

  instanceInfo(): Promise<InstanceInfo> { return this.call('GET', '/'); }
  putLogger(c: LoggerConfig): Promise<void> { return this.call('PUT', '/logger', c); }
  putMetrics(c: MetricsConfig): Promise<void> { return this.call('PUT', '/metrics', c); }
  putMachineConfig(c: MachineConfig): Promise<void> { return this.call('PUT', '/machine-config', c); }
  putBootSource(c: BootSource): Promise<void> { return this.call('PUT', '/boot-source', c); }
  putDrive(c: Drive): Promise<void> { return this.call('PUT', `/drives/${encodeURIComponent(c.drive_id)}`, c); }
  putNetworkInterface(c: NetworkInterface): Promise<void> { return this.call('PUT', `/network-interfaces/${encodeURIComponent(c.iface_id)}`, c); }
  putVsock(c: Vsock): Promise<void> { return this.call('PUT', '/vsock', c); }
  putMmdsConfig(c: MmdsConfig): Promise<void> { return this.call('PUT', '/mmds/config', c); }
  putMmds(data: unknown): Promise<void> { return this.call('PUT', '/mmds', data); }
  action(action_type: ActionType): Promise<void> { return this.call('PUT', '/actions', { action_type }); }
  pause(): Promise<void> { return this.call('PATCH', '/vm', { state: 'Paused' }); }
  resume(): Promise<void> { return this.call('PATCH', '/vm', { state: 'Resumed' }); }
  createSnapshot(c: SnapshotCreate): Promise<void> { return this.call('PUT', '/snapshot/create', c); }
  loadSnapshot(c: SnapshotLoad): Promise<void> { return this.call('PUT', '/snapshot/load', c); }
}
