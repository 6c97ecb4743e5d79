/**
 * A stand-in for the firecracker binary's API, for the one thing this host cannot run.
 * It enforces the real API's rules (fake-rules.ts), answers 204 / 200 / 400 with
 * `{"fault_message": …}` like Firecracker, and records every request so a test can
 * check the order. It boots nothing: after InstanceStart it only prints a console line.
 */
import { createServer, type Server } from 'node:http';
import { appendFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { ApiFault, MAC_RE, NOT_AFTER_BOOT, NOT_BEFORE_BOOT, SHAPES, checkShape, mustExist } from './fake-rules.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  body: unknown;
  status: number;
  fault?: string;
}

interface VmmState {
  state: 'Not started' | 'Running' | 'Paused';
  logger: boolean;
  metrics: boolean;
  machine: { vcpu_count: number; mem_size_mib: number; smt: boolean; track_dirty_pages: boolean };
  boot?: Record<string, unknown>;
  drives: Map<string, Record<string, unknown>>;
  nics: Map<string, Record<string, unknown>>;
  vsock?: Record<string, unknown>;
  mmdsVersion?: string;
  mmds?: unknown;
  configured: boolean;
}

export interface FakeFirecracker {
  server: Server;
  requests: RecordedRequest[];
  state: () => VmmState['state'];
  close: () => Promise<void>;
}

export interface FakeOptions {
  /** Appends each request as a JSON line (for a fake running in another process). */
  requestLog?: string;
  /** Called with console text (the real binary's stdout is the guest serial console). */
  console?: (line: string) => void;
  /** Called after SendCtrlAltDel was answered (the real process exits when the guest reboots). */
  onExit?: () => void;
}

function handle(s: VmmState, method: string, path: string, body: unknown, o: FakeOptions): { status: number; json?: unknown } {
  const preBoot = (): void => { if (s.state !== 'Not started') throw new ApiFault(NOT_AFTER_BOOT); s.configured = true; };
  const postBoot = (): void => { if (s.state === 'Not started') throw new ApiFault(NOT_BEFORE_BOOT); };
  const route = `${method} ${path.replace(/^\/(drives|network-interfaces)\/[^/]+$/, '/$1/{id}')}`;
  const id = decodeURIComponent(path.split('/')[2] ?? '');
  switch (route) {
    case 'GET /':
      return { status: 200, json: { id: 'anonymous-instance', state: s.state, vmm_version: '1.7.0', app_name: 'Firecracker' } };
    case 'GET /machine-config':
      return { status: 200, json: s.machine };
    case 'PUT /logger': {
      preBoot();
      const b = checkShape('logger', body, SHAPES.logger);
      if (s.logger) throw new ApiFault('Logger can be initialized only once.');
      mustExist('logger', b.log_path as string);
      s.logger = true;
      return { status: 204 };
    }
    case 'PUT /metrics': {
      preBoot();
      const b = checkShape('metrics', body, SHAPES.metrics);
      if (s.metrics) throw new ApiFault('Reinitialization of metrics not allowed.');
      mustExist('metrics', b.metrics_path as string);
      s.metrics = true;
      return { status: 204 };
    }
    case 'PUT /machine-config': {
      preBoot();
      const b = checkShape('machine-config', body, SHAPES.machine);
      const vcpus = b.vcpu_count as number;
      const smt = (b.smt as boolean | undefined) ?? false;
      if (vcpus < 1 || vcpus > 32) throw new ApiFault('The vCPU number is invalid! The vCPU number can only be 1 or an even number when SMT is enabled.');
      if (smt && vcpus > 1 && vcpus % 2 !== 0) throw new ApiFault('The vCPU number is invalid! The vCPU number can only be 1 or an even number when SMT is enabled.');
      if ((b.mem_size_mib as number) < 1) throw new ApiFault('The memory size (MiB) is invalid.');
      s.machine = { vcpu_count: vcpus, mem_size_mib: b.mem_size_mib as number, smt, track_dirty_pages: (b.track_dirty_pages as boolean | undefined) ?? false };
      return { status: 204 };
    }
    case 'PUT /boot-source': {
      preBoot();
      const b = checkShape('boot-source', body, SHAPES.boot);
      mustExist('kernel', b.kernel_image_path as string);
      if (b.initrd_path !== undefined) mustExist('initrd', b.initrd_path as string);
      s.boot = b;
      return { status: 204 };
    }
    case 'PUT /drives/{id}': {
      preBoot();
      const b = checkShape('drive', body, SHAPES.drive);
      if (b.drive_id !== id) throw new ApiFault('The id from the path does not match the id from the body!');
      mustExist('drive', b.path_on_host as string);
      if (b.is_root_device && [...s.drives.values()].some((d) => d.is_root_device && d.drive_id !== id)) throw new ApiFault('A root block device already exists!');
      s.drives.set(id, b);
      return { status: 204 };
    }
    case 'PUT /network-interfaces/{id}': {
      preBoot();
      const b = checkShape('network-interface', body, SHAPES.nic);
      if (b.iface_id !== id) throw new ApiFault('The id from the path does not match the id from the body!');
      if (b.guest_mac !== undefined && !MAC_RE.test(b.guest_mac as string)) throw new ApiFault(`Invalid MAC address: ${String(b.guest_mac)}`);
      const tap = b.host_dev_name as string;
      if (!existsSync(`/sys/class/net/${tap}/tun_flags`)) throw new ApiFault(`Could not create the network device: Open tap device failed: ${tap} is not a TAP device`);
      if ([...s.nics.values()].some((n) => n.host_dev_name === tap && n.iface_id !== id)) throw new ApiFault(`The host device name ${tap} is already in use.`);
      s.nics.set(id, b);
      return { status: 204 };
    }
    case 'PUT /vsock': {
      preBoot();
      const b = checkShape('vsock', body, SHAPES.vsock);
      if ((b.guest_cid as number) < 3) throw new ApiFault('Invalid guest CID: must be >= 3');
      s.vsock = b;
      return { status: 204 };
    }
    case 'PUT /mmds/config': {
      preBoot();
      const b = checkShape('mmds-config', body, SHAPES.mmdsConfig);
      const ifs = b.network_interfaces as string[];
      if (ifs.length === 0 || ifs.some((i) => !s.nics.has(i))) throw new ApiFault('The list of network interface IDs provided contains at least one ID that does not correspond to any existing network interface.');
      s.mmdsVersion = (b.version as string | undefined) ?? 'V1';
      return { status: 204 };
    }
    case 'PUT /mmds':
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiFault('The MMDS data store must be a JSON object.');
      s.mmds = body;
      return { status: 204 };
    case 'PUT /actions': {
      const b = checkShape('action', body, SHAPES.action);
      if (b.action_type === 'InstanceStart') {
        preBoot();
        if (!s.boot) throw new ApiFault('Cannot start microvm that was not configured: missing boot source (kernel_image_path).');
        s.state = 'Running';
        o.console?.(`fake-firecracker: InstanceStart ${s.machine.vcpu_count} vCPU ${s.machine.mem_size_mib} MiB, kernel ${String(s.boot.kernel_image_path)}, cmdline "${String(s.boot.boot_args ?? '')}"`);
        return { status: 204 };
      }
      postBoot();
      if (b.action_type === 'FlushMetrics' && !s.metrics) throw new ApiFault('Metrics system not initialized.');
      if (b.action_type === 'SendCtrlAltDel') setImmediate(() => o.onExit?.());
      return { status: 204 };
    }
    case 'PATCH /vm': {
      postBoot();
      const b = checkShape('vm', body, SHAPES.vm);
      s.state = b.state === 'Paused' ? 'Paused' : 'Running';
      return { status: 204 };
    }
    case 'PUT /snapshot/create': {
      postBoot();
      const b = checkShape('snapshot-create', body, SHAPES.snapshotCreate);
      if (s.state !== 'Paused') throw new ApiFault('Cannot create a snapshot of a running microVM: pause it first.');
      if (b.snapshot_type === 'Diff' && !s.machine.track_dirty_pages) throw new ApiFault('Diff snapshots are not allowed on uVMs with dirty page tracking disabled.');
      writeFileSync(b.snapshot_path as string, 'vmstate');
      writeFileSync(b.mem_file_path as string, 'memory');
      return { status: 204 };
    }
    case 'PUT /snapshot/load': {
      if (s.state !== 'Not started') throw new ApiFault(NOT_AFTER_BOOT);
      if (s.configured) throw new ApiFault('Loading a microVM snapshot not allowed after configuring boot-specific resources.');
      const b = checkShape('snapshot-load', body, SHAPES.snapshotLoad);
      if (!b.mem_backend && !b.mem_file_path) throw new ApiFault('missing field `mem_backend`');
      if (b.mem_backend) mustExist('memory', String(checkShape('mem_backend', b.mem_backend, SHAPES.memBackend).backend_path));
      mustExist('snapshot', b.snapshot_path as string);
      s.state = b.resume_vm ? 'Running' : 'Paused';
      return { status: 204 };
    }
    default:
      throw new ApiFault(`Invalid request method and/or path: ${method} ${path}.`);
  }
}

/** Listens on `socketPath` like `firecracker --api-sock socketPath`. */
export async function startFakeFirecracker(socketPath: string, o: FakeOptions = {}): Promise<FakeFirecracker> {
  const s: VmmState = { state: 'Not started', logger: false, metrics: false, machine: { vcpu_count: 1, mem_size_mib: 128, smt: false, track_dirty_pages: false }, drives: new Map(), nics: new Map(), configured: false };
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (d: string) => { text += d; }).on('end', () => {
      let body: unknown;
      let result: { status: number; json?: unknown };
      let fault: string | undefined;
      try {
        if (text && !/^application\/json/.test(req.headers['content-type'] ?? '')) throw new ApiFault('Unsupported Content-Type: expected application/json');
        body = text ? JSON.parse(text) : undefined;
        result = handle(s, req.method ?? '', req.url ?? '', body, o);
      } catch (e) {
        fault = e instanceof ApiFault ? e.message : e instanceof SyntaxError ? `Invalid JSON body: ${e.message}` : String(e);
        result = { status: 400, json: { fault_message: fault } };
      }
      const rec: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', body, status: result.status, ...(fault ? { fault } : {}) };
      requests.push(rec);
      if (o.requestLog) appendFileSync(o.requestLog, `${JSON.stringify(rec)}\n`);
      if (result.json === undefined) {
        res.writeHead(result.status).end();
      } else {
        res.writeHead(result.status, { 'content-type': 'application/json' }).end(JSON.stringify(result.json));
      }
    });
  });
  rmSync(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, resolve));
  return {
    server, requests, state: () => s.state,
    close: () => new Promise((r) => server.close(() => { rmSync(socketPath, { force: true }); r(); })),
  };
}
