// Entry point of ./pudu; subcommands are added as the runtime lands.
import { Command } from 'commander';

const program = new Command('pudu').description('Pudu server and host runtime').version('0.1.0');
program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
