/**
 * `puduc scenario recording ID [SESSION] [-o FILE]` and `puduc scenario commands ID`: a
 * run's terminal recordings (asciicast v2, for `asciinema play`) and the commands the
 * responder ran, reconstructed from them.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { EXIT, formatTable, printJson } from '../output.ts';
import { clientFromEnv, formatClock, withClient } from './remote.ts';

async function writeOut(file: string | undefined, text: string): Promise<void> {
  if (!file || file === '-') {
    process.stdout.write(text);
    return;
  }
  await writeFile(file, text).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`cannot write ${file}: ${e.message}`);
  });
  console.error(`wrote ${file} (${Buffer.byteLength(text)} bytes)`);
}

export function registerScenarioLearning(scenario: Command): void {
  scenario
    .command('recording <id> [session]')
    .description('list a run\'s terminal recordings, or save one as asciicast v2 (asciinema play FILE)')
    .option('-o, --output <file>', 'write the recording here (default: stdout); without SESSION, the run must have exactly one')
    .option('--json', 'print the list as JSON')
    .action(async (id: string, session: string | undefined, o: { output?: string; json?: boolean }) =>
      withClient(async () => {
        const client = clientFromEnv();
        if (!session && !o.output) {
          const list = await client.listRecordings(id);
          if (o.json) return printJson(list);
          if (!list.recordings.length) {
            console.log(`run ${id} has no recordings (a session is recorded once someone opens a terminal of the run)`);
            return EXIT.OK;
          }
          console.log(formatTable(['SESSION', 'VM', 'OPENED BY', 'ROLE', 'STARTED', 'ENDED', 'BYTES'], list.recordings.map((r) => [
            r.id, r.vm, r.openedBy, r.role, r.startedAt.slice(11, 19), r.endedAt ? r.endedAt.slice(11, 19) : 'live', `${r.bytes}${r.truncated ? ' (budget reached)' : ''}`,
          ])));
          console.log(`\n${list.usedBytes} of ${list.budgetBytes} bytes of the run's recording budget used`);
          return EXIT.OK;
        }
        let chosen = session;
        if (!chosen) {
          const list = (await client.listRecordings(id)).recordings;
          if (list.length !== 1) {
            console.error(`puduc: run ${id} has ${list.length} recordings; name one: ${list.map((r) => `${r.id} (${r.vm}, ${r.openedBy})`).join(', ') || 'none'}`);
            return EXIT.FAILED;
          }
          chosen = list[0]!.id;
        }
        await writeOut(o.output, await client.getRecording(id, chosen));
        return EXIT.OK;
      }),
    );
  scenario
    .command('commands <id>')
    .description('the commands the responder ran, reconstructed from the recordings, with times on the run clock')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) =>
      withClient(async () => {
        const out = await clientFromEnv().listRunCommands(id);
        if (o.json) return printJson(out);
        console.log(out.commands.length
          ? formatTable(['RUN CLOCK', 'VM', 'WHERE', 'COMMAND'], out.commands.map((c) => [c.runMs === null ? '-' : formatClock(c.runMs), c.host ?? c.vm, c.context, c.command]))
          : 'no commands recorded');
        console.log(`\nWhat this cannot know:\n${out.caveats.map((c) => `  - ${c}`).join('\n')}`);
      }),
    );
}
