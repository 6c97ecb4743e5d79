/**
 * `pudu config check|show`: the settings `pudu server` would run with, checked the way it
 * checks them at start — every problem at once, `file:line:col key: message`, exit 1.
 */
import type { Command } from 'commander';
import { CONFIG_KEYS } from './config-keys.ts';
import { checkConfig } from './config-check.ts';
import { formatIssues } from './config-load.ts';

/** Adds `pudu config check` and `pudu config show`. */
export function addConfigCommand(program: Command): void {
  const config = program.command('config').description('check or show the server settings (/etc/pudu/pudu.yaml, PUDU_* env)');
  config
    .command('check')
    .description('check the settings file and PUDU_* environment: syntax, unknown keys, values, files, TLS pair, network base vs host routes')
    .option('--config <file>', 'settings file (default /etc/pudu/pudu.yaml; PUDU_CONFIG)')
    .option('--json', 'print the report as JSON')
    .action(async (o: { config?: string; json?: boolean }) => {
      const r = await checkConfig({ file: o.config, env: process.env });
      if (o.json) {
        console.log(JSON.stringify({ file: r.file ?? null, ok: r.errors.length === 0, errors: r.errors, warnings: r.warnings }, null, 2));
      } else {
        for (const line of formatIssues(r.errors)) console.error(`error: ${line}`);
        for (const line of formatIssues(r.warnings)) console.error(`warning: ${line}`);
        const what = r.file ?? 'defaults and environment (no settings file)';
        console.log(r.errors.length ? `${what}: ${r.errors.length} error(s)` : `${what}: ok${r.warnings.length ? ` (${r.warnings.length} warning(s))` : ''}`);
      }
      if (r.errors.length) process.exitCode = 1;
    });
  config
    .command('show')
    .description('print the effective settings and where each comes from (flag > env > file > default)')
    .option('--config <file>', 'settings file (default /etc/pudu/pudu.yaml; PUDU_CONFIG)')
    .option('--json', 'print JSON')
    .action(async (o: { config?: string; json?: boolean }) => {
      const r = await checkConfig({ file: o.config, env: process.env });
      const c = r.config as Record<string, unknown>;
      if (o.json) {
        console.log(JSON.stringify({ file: r.file ?? null, settings: c, sources: r.sources }, null, 2));
      } else {
        for (const k of CONFIG_KEYS) console.log(`${k.key.padEnd(16)} ${(c[k.key] === undefined ? '-' : JSON.stringify(c[k.key])).padEnd(40)} ${r.sources[k.key] ?? ''}`);
      }
      if (r.errors.length) {
        for (const line of formatIssues(r.errors)) console.error(`error: ${line}`);
        process.exitCode = 1;
      }
    });
}
