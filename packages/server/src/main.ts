// Entry point of ./pudu: server, run (direct mode), demo, assets, cleanup, config, install.
// The Node version check comes first: ESM evaluates imports in order.
import './node-version.ts';
import { buildCli } from './cli.ts';

buildCli()
  .parseAsync(process.argv)
  .catch((e: unknown) => {
    console.error(`pudu: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
