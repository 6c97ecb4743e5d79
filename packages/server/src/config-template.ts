/**
 * The pudu.yaml `pudu install` writes: every setting of the key table, commented out at
 * its default with its flag and env var, so the file documents itself and stays in step
 * with the table.
 */
import type { DriverChoice } from '@pudu/drivers';
import { CONFIG_KEYS } from './config-keys.ts';

function yamlValue(v: unknown): string {
  if (Array.isArray(v)) return v.length ? `[${v.map((x) => JSON.stringify(x)).join(', ')}]` : '[]';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The settings file for a new install; `driver` is set, everything else shows its default. */
export function renderConfigTemplate(o: { driver: DriverChoice; prefix: string }): string {
  const lines = [
    '# Pudu server settings. Every key is also a flag of `pudu server` and a PUDU_* environment',
    '# variable (flag > env > this file > default). Check with: pudu config check',
    `# Reference: ${o.prefix}/docs/operating.md`,
    '',
  ];
  for (const k of CONFIG_KEYS) {
    lines.push(`# ${k.help} (${k.flag}, ${k.env})`);
    if (k.key === 'driver') lines.push(`driver: ${o.driver}`);
    else if (k.key === 'data_dir') lines.push('# data_dir: /var/lib/pudu');
    else if (k.key === 'library') lines.push(`# library: ${o.prefix}/scenarios`);
    else if (k.key === 'web_dir') lines.push(`# web_dir: ${o.prefix}/dist/web`);
    else lines.push(`# ${k.key}: ${k.default ? yamlValue(k.default()) : ''}`.trimEnd());
    lines.push('');
  }
  return lines.join('\n');
}
