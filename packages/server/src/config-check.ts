/**
 * What a setting's shape cannot tell: the files exist, the TLS key belongs to the
 * certificate and the certificate is current, the network base is free on this host.
 * `pudu config check` runs it over the file; `pudu server` runs it before it starts.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { isPuduError } from '@pudu/schema';
import { overlappingRoutes, parseNetworkBase, readHostRoutes, type HostRoute } from '@pudu/drivers';
import type { ServerConfig } from './config-keys.ts';
import { collectConfig, type ConfigIssue, type LoadOptions } from './config-load.ts';

export interface CheckReport {
  file?: string;
  errors: ConfigIssue[];
  warnings: ConfigIssue[];
  config: Partial<ServerConfig>;
  /** Where each key's value came from: flag, env, file or default. */
  sources: Record<string, string>;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Reads and matches a PEM certificate and key; returns what is wrong, or undefined. */
export function checkTlsPair(certFile: string, keyFile: string, now = new Date()): { cert?: string; key?: string; warning?: string } {
  let cert: X509Certificate;
  let key: KeyObject;
  try {
    cert = new X509Certificate(readFileSync(certFile));
  } catch (e) {
    return { cert: `cannot read a PEM certificate from ${certFile}: ${(e as Error).message}` };
  }
  try {
    key = createPrivateKey(readFileSync(keyFile));
  } catch (e) {
    return { key: `cannot read a PEM private key from ${keyFile}: ${(e as Error).message}` };
  }
  if (!cert.checkPrivateKey(key)) return { key: `${keyFile} is not the private key of ${certFile} (${cert.subject.replace(/\n/g, ', ')})` };
  if (new Date(cert.validTo) < now) return { cert: `certificate expired on ${cert.validTo}` };
  if (new Date(cert.validFrom) > now) return { cert: `certificate is not valid before ${cert.validFrom}` };
  const daysLeft = (new Date(cert.validTo).getTime() - now.getTime()) / 86_400_000;
  if (daysLeft < 14) return { warning: `certificate expires in ${Math.floor(daysLeft)} day(s) (${cert.validTo})` };
  return {};
}

/** The checks beyond shape, over the keys that passed their shape check. */
export function checkSettings(c: Partial<ServerConfig>, where: (key: string) => string, routes: HostRoute[]): { errors: ConfigIssue[]; warnings: ConfigIssue[] } {
  const errors: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const err = (key: string, message: string): void => { errors.push({ at: where(key), key, message }); };
  for (const key of ['library', 'web_dir'] as const) {
    const v = c[key];
    if (v !== undefined && !isDir(v)) err(key, `${v} is not a directory`);
  }
  for (const key of ['kernel', 'rootfs'] as const) {
    const v = c[key];
    if (v !== undefined && !existsSync(v)) err(key, `${v} does not exist (run ./pudu assets, or leave it unset to use the built image)`);
  }
  if (c.data_dir && !existsSync(c.data_dir) && !isDir(dirname(c.data_dir))) err('data_dir', `neither ${c.data_dir} nor its parent directory exists`);
  if (c.database && !c.database.includes('://') && !isDir(dirname(c.database))) err('database', `directory ${dirname(c.database)} does not exist`);
  if ((c.tls_cert === undefined) !== (c.tls_key === undefined)) {
    const given = c.tls_cert !== undefined ? 'tls_cert' : 'tls_key';
    err(given, `${given === 'tls_cert' ? 'tls_key' : 'tls_cert'} must be set too (HTTPS needs the certificate and its key)`);
  } else if (c.tls_cert && c.tls_key) {
    const t = checkTlsPair(c.tls_cert, c.tls_key);
    if (t.cert) err('tls_cert', t.cert);
    if (t.key) err('tls_key', t.key);
    if (t.warning) warnings.push({ at: where('tls_cert'), key: 'tls_cert', message: t.warning });
  }
  if (c.network_base) {
    try {
      parseNetworkBase(c.network_base);
      const hits = overlappingRoutes(c.network_base, routes);
      if (hits.length) err('network_base', `${c.network_base} overlaps host routes: ${hits.slice(0, 3).map((r) => `${r.dst}${r.dev ? ` dev ${r.dev}` : ''}`).join(', ')} — VM traffic would collide with them; choose a free block such as 10.213.0.0/16`);
    } catch (e) {
      if (!isPuduError(e)) throw e;
      err('network_base', e.message);
    }
  }
  const loopback = c.bind === undefined || c.bind === '127.0.0.1' || c.bind === '::1' || c.bind === 'localhost';
  if (!loopback && !c.tls_cert && (c.trust_proxy ?? []).length === 0) {
    warnings.push({ at: where('bind'), key: 'bind', message: `serving plain HTTP on ${c.bind}: tokens cross the network in clear text; set tls_cert/tls_key or put a TLS proxy in front (trust_proxy)` });
  }
  return { errors, warnings };
}

/** `pudu config check`: every shape, file, TLS and network problem of the config file plus env and flags. */
export async function checkConfig(o: LoadOptions = {}): Promise<CheckReport> {
  const loaded = collectConfig(o);
  const routes = loaded.config.network_base ? await readHostRoutes() : [];
  const { errors, warnings } = checkSettings(loaded.config, loaded.where, routes);
  return { file: loaded.file, errors: byPosition([...loaded.issues, ...errors]), warnings: byPosition(warnings), config: loaded.config, sources: loaded.sources };
}

/** File issues in reading order (line, column), then the others (flags, env) as found. */
function byPosition(issues: ConfigIssue[]): ConfigIssue[] {
  const pos = (i: ConfigIssue): number => {
    const m = /:(\d+):(\d+)$/.exec(i.at);
    return m ? Number(m[1]) * 10_000 + Number(m[2]) : Number.MAX_SAFE_INTEGER;
  };
  return [...issues].sort((a, b) => pos(a) - pos(b));
}
