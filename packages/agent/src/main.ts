// Entry point of ./pudu-agent (bundled into one file for the guest image).
import { isPuduError } from '@pudu/schema';
import { AGENT_USAGE, parseAgentArgs } from './config.ts';
import { runAgent } from './daemon.ts';

try {
  const cfg = parseAgentArgs(process.argv.slice(2));
  if (cfg === 'help') {
    process.stdout.write(AGENT_USAGE);
  } else {
    await runAgent(cfg);
  }
} catch (e) {
  process.stderr.write(`pudu-agent: ${isPuduError(e) ? `${e.code}: ${e.message}` : (e as Error).stack}\n`);
  process.exit(2);
}
