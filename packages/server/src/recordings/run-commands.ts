/** A run's commands across all its recorded sessions, in time order, with the caveats. */
import type { ReconstructedCommand } from '@pudu/schema';
import type { RecordingStore } from './recording-store.ts';
import { parseAsciicast } from './asciicast.ts';
import { COMMAND_CAVEATS, reconstructCommands } from './commands.ts';

export async function commandsOfRun(store: RecordingStore, runId: string, runStartMs: number | null): Promise<{ commands: ReconstructedCommand[]; caveats: string[] }> {
  const caveats = [...COMMAND_CAVEATS];
  const all: ReconstructedCommand[] = [];
  for (const info of await store.list(runId)) {
    const { header, events } = parseAsciicast(await store.read(info.id));
    all.push(...await reconstructCommands({ session: info.id, vm: info.vm, startedAtMs: Date.parse(info.startedAt), header, events }, runStartMs));
    if (info.truncated) caveats.push(`Session ${info.id} on ${info.vm} hit the run's recording budget: commands after that point are missing.`);
  }
  all.sort((a, b) => a.at.localeCompare(b.at));
  return { commands: all, caveats };
}
