// Entry point of ./puduc/puduc.
import { buildProgram } from './program.ts';
import { EXIT } from './output.ts';

const { program } = buildProgram();
program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`puduc: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(EXIT.FAILED);
});
