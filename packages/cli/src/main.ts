// Entry point of ./puduc/puduc.
import { Command } from 'commander';

const program = new Command('puduc').description('Pudu command-line client').version('0.1.0');
program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
