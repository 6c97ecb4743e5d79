/**
 * The request rules of the real Firecracker API (v1.x swagger + its VMM's checks) that the
 * contract test holds the driver to: field names and types (unknown fields rejected, as
 * serde's deny_unknown_fields does), pre-boot-only vs post-boot-only operations, files
 * that must exist, one root drive, vcpu limits, snapshot preconditions.
 */
import { existsSync } from 'node:fs';

export class ApiFault extends Error {}

type FieldType = 'string' | 'boolean' | 'integer' | 'object' | 'string[]';
type Shape = Record<string, { type: FieldType; required?: boolean; oneOf?: string[] }>;

/** Rejects like Firecracker: wrong type, missing required field, unknown field, value outside an enum. */
export function checkShape(what: string, body: unknown, shape: Shape): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiFault(`${what}: expected a JSON object`);
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (!(k in shape)) throw new ApiFault(`${what}: unknown field \`${k}\`, expected one of ${Object.keys(shape).map((x) => `\`${x}\``).join(', ')}`);
  }
  for (const [k, rule] of Object.entries(shape)) {
    const v = b[k];
    if (v === undefined) {
      if (rule.required) throw new ApiFault(`${what}: missing field \`${k}\``);
      continue;
    }
    const ok = rule.type === 'string' ? typeof v === 'string'
      : rule.type === 'boolean' ? typeof v === 'boolean'
        : rule.type === 'integer' ? Number.isInteger(v) && (v as number) >= 0
          : rule.type === 'string[]' ? Array.isArray(v) && v.every((x) => typeof x === 'string')
            : typeof v === 'object' && v !== null;
    if (!ok) throw new ApiFault(`${what}: invalid type for \`${k}\`: expected ${rule.type}`);
    if (rule.oneOf && !rule.oneOf.includes(v as string)) throw new ApiFault(`${what}: unknown variant \`${String(v)}\` for \`${k}\`, expected one of ${rule.oneOf.join(', ')}`);
  }
  return b;
}

export function mustExist(what: string, path: string): void {
  if (!existsSync(path)) throw new ApiFault(`${what}: cannot open ${path}: No such file or directory (os error 2)`);
}

export const SHAPES = {
  logger: { log_path: { type: 'string', required: true }, level: { type: 'string', oneOf: ['Error', 'Warning', 'Info', 'Debug', 'Trace', 'Off'] }, show_level: { type: 'boolean' }, show_log_origin: { type: 'boolean' }, module: { type: 'string' } },
  metrics: { metrics_path: { type: 'string', required: true } },
  machine: { vcpu_count: { type: 'integer', required: true }, mem_size_mib: { type: 'integer', required: true }, smt: { type: 'boolean' }, track_dirty_pages: { type: 'boolean' }, cpu_template: { type: 'string' }, huge_pages: { type: 'string', oneOf: ['None', '2M'] } },
  boot: { kernel_image_path: { type: 'string', required: true }, boot_args: { type: 'string' }, initrd_path: { type: 'string' } },
  drive: { drive_id: { type: 'string', required: true }, is_root_device: { type: 'boolean', required: true }, path_on_host: { type: 'string', required: true }, is_read_only: { type: 'boolean', required: true }, partuuid: { type: 'string' }, cache_type: { type: 'string', oneOf: ['Unsafe', 'Writeback'] }, rate_limiter: { type: 'object' }, io_engine: { type: 'string', oneOf: ['Sync', 'Async'] } },
  nic: { iface_id: { type: 'string', required: true }, host_dev_name: { type: 'string', required: true }, guest_mac: { type: 'string' }, rx_rate_limiter: { type: 'object' }, tx_rate_limiter: { type: 'object' } },
  vsock: { guest_cid: { type: 'integer', required: true }, uds_path: { type: 'string', required: true }, vsock_id: { type: 'string' } },
  mmdsConfig: { network_interfaces: { type: 'string[]', required: true }, version: { type: 'string', oneOf: ['V1', 'V2'] }, ipv4_address: { type: 'string' } },
  action: { action_type: { type: 'string', required: true, oneOf: ['InstanceStart', 'SendCtrlAltDel', 'FlushMetrics'] } },
  vm: { state: { type: 'string', required: true, oneOf: ['Paused', 'Resumed'] } },
  snapshotCreate: { snapshot_type: { type: 'string', oneOf: ['Full', 'Diff'] }, snapshot_path: { type: 'string', required: true }, mem_file_path: { type: 'string', required: true }, version: { type: 'string' } },
  snapshotLoad: { snapshot_path: { type: 'string', required: true }, mem_backend: { type: 'object' }, mem_file_path: { type: 'string' }, enable_diff_snapshots: { type: 'boolean' }, resume_vm: { type: 'boolean' } },
  memBackend: { backend_type: { type: 'string', required: true, oneOf: ['File', 'Uffd'] }, backend_path: { type: 'string', required: true } },
} satisfies Record<string, Shape>;

export const MAC_RE = /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/;
export const NOT_AFTER_BOOT = 'The requested operation is not supported after starting the microVM.';
export const NOT_BEFORE_BOOT = 'The requested operation is not supported before starting the microVM.';
