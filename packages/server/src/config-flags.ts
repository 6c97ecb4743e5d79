/**
 * The settings table as commander options: `pudu server|run|demo` get one flag per key,
 * plus `--config`. Flags are parsed without defaults so that "not given" falls through to
 * the environment and the file (loadConfig applies the defaults).
 */
import { Option, type Command } from 'commander';
import { CONFIG_KEYS, DEFAULT_CONFIG_FILE } from './config-keys.ts';

/** Adds `--config` and every setting's flag to `c`. */
export function addConfigOptions(c: Command): Command {
  c.option('--config <file>', `settings file (default ${DEFAULT_CONFIG_FILE} when it exists) [PUDU_CONFIG]`);
  for (const k of CONFIG_KEYS) {
    const o = new Option(`${k.flag} ${k.arg}`, `${k.help} [${k.env}]`);
    if (k.kind === 'list') o.argParser((v: string, acc: string[] | undefined) => [...(acc ?? []), v]);
    c.addOption(o);
  }
  // The seed's and older scripts' name for --bind.
  c.addOption(new Option('--host <addr>', 'same as --bind').hideHelp());
  return c;
}

/** The settings given as flags, by config key (commander's camelCase attributes mapped back). */
export function flagsOf(opts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of CONFIG_KEYS) {
    const v = opts[new Option(`${k.flag} ${k.arg}`).attributeName()];
    if (v !== undefined) out[k.key] = v;
  }
  if (out.bind === undefined && opts.host !== undefined) out.bind = opts.host;
  return out;
}
