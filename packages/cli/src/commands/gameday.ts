/**
 * `puduc gameday create|start|board|leaderboard|list`: one scenario and seed for a cohort.
 * Invite links (shown once) go to each trainee; the board is the instructor's live view.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { PuduClient } from '@pudu/client';
import { EXIT, formatTable, printJson } from '../output.ts';
import { clientFromEnv, formatClock, withClient } from './remote.ts';

type Board = Awaited<ReturnType<PuduClient['getGameDay']>>;

export function formatBoard(g: Board): string {
  const head = `${g.name} (${g.id}) — ${g.scenario} seed ${g.seed}, ${g.mode}, ${g.state}`;
  const rows = g.trainees.map((t) => [
    t.name, t.state === 'queued' ? `queued #${t.queuePosition}` : t.runState ?? t.state, t.runId ?? '-', t.elapsedMs === null ? '-' : formatClock(t.elapsedMs),
    t.objectivesTotal === null ? '-' : `${t.objectivesPassing}/${t.objectivesTotal}`, t.hintsUsed === null ? '-' : String(t.hintsUsed), t.score === null ? '-' : String(t.score),
    t.integrityFlags ? `${t.integrityFlags} ⚑` : '', t.sessions.map((s) => `${s.vm}#${s.id}`).join(' '),
  ]);
  return `${head}\n\n${formatTable(['TRAINEE', 'STATE', 'RUN', 'ELAPSED', 'OBJECTIVES', 'HINTS', 'SCORE', 'INTEGRITY', 'LIVE TERMINALS'], rows)}`;
}

export function registerGameDay(program: Command): void {
  const gd = program.command('gameday').description('game days: one scenario and seed for a cohort of trainees');
  gd.command('create <name>')
    .description('create a game day; prints each trainee\'s invite link (shown once)')
    .requiredOption('--scenario <name>', 'library scenario, e.g. monolith/disk-full')
    .option('--trainee <name>', 'a trainee (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--csv <file>', 'CSV of trainees (a "name" column, or one name per line)')
    .option('--seed <n>', 'seed for everyone (default: drawn once)', (v: string) => Number(v))
    .option('--self-paced', 'each trainee starts when they open their invite (within --opens/--closes)')
    .option('--opens <iso>', 'self-paced window start')
    .option('--closes <iso>', 'self-paced window end')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { scenario: string; trainee: string[]; csv?: string; seed?: number; selfPaced?: boolean; opens?: string; closes?: string; json?: boolean }) =>
      withClient(async () => {
        const client = clientFromEnv();
        const csv = o.csv ? await readFile(o.csv, 'utf8').catch((e: Error) => { throw new Error(`cannot read ${o.csv}: ${e.message}`); }) : undefined;
        const out = await client.createGameDay({
          name, scenario: o.scenario, mode: o.selfPaced ? 'self-paced' : 'together',
          ...(o.trainee.length ? { trainees: o.trainee.map((n) => ({ name: n })) } : {}), ...(csv ? { csv } : {}),
          ...(o.seed === undefined ? {} : { seed: o.seed }), ...(o.opens ? { opensAt: o.opens } : {}), ...(o.closes ? { closesAt: o.closes } : {}),
        });
        if (o.json) return printJson(out);
        console.log(`game day ${out.gameday.id}: ${out.gameday.scenario} seed ${out.gameday.seed}, ${out.invites.length} trainees (${out.gameday.mode})`);
        console.log(formatTable(['TRAINEE', 'INVITE LINK (shown once)'], out.invites.map((i) => [i.name, client.baseUrl + i.link])));
        if (out.gameday.mode === 'together') console.log(`\nstart everyone: puduc gameday start ${out.gameday.id}`);
        return EXIT.OK;
      }));
  gd.command('start <id>').description('start every trainee\'s run (what does not fit queues)').option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => withClient(async () => {
      const g = await clientFromEnv().startGameDay(id);
      if (o.json) return printJson(g);
      console.log(formatBoard(g));
    }));
  gd.command('board <id>').description('the live board: every trainee\'s state, objectives, hints, elapsed, integrity flags').option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => withClient(async () => {
      const g = await clientFromEnv().getGameDay(id);
      if (o.json) return printJson(g);
      console.log(formatBoard(g));
    }));
  gd.command('leaderboard <id>').description('score, time, hints (ties by time); --csv exports').option('--csv', 'CSV').option('-o, --output <file>', 'write here').option('--json', 'print JSON')
    .action(async (id: string, o: { csv?: boolean; output?: string; json?: boolean }) => withClient(async () => {
      const client = clientFromEnv();
      let text: string;
      if (o.csv) text = await client.getLeaderboardCsv(id);
      else {
        const b = await client.getLeaderboard(id);
        text = o.json ? `${JSON.stringify(b, null, 2)}\n` : `${formatTable(['RANK', 'TRAINEE', 'STATE', 'SCORE', 'TIME', 'HINTS', 'INTEGRITY'], b.rows.map((r) => [
          r.rank === null ? '-' : String(r.rank), r.name, r.state, r.score === null ? '-' : String(r.score), r.resolvedAtMs === null ? '-' : formatClock(r.resolvedAtMs), r.hintsUsed === null ? '-' : String(r.hintsUsed), r.integrityFlags ? `${r.integrityFlags} ⚑` : '',
        ]))}\n`;
      }
      if (o.output) await writeFile(o.output, text);
      else process.stdout.write(text);
    }));
  gd.command('list').description('game days on the server').option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => withClient(async () => {
      const list = await clientFromEnv().listGameDays();
      if (o.json) return printJson(list);
      console.log(list.length ? formatTable(['ID', 'NAME', 'SCENARIO', 'MODE', 'STATE', 'TRAINEES'], list.map((g) => [g.id, g.name, g.scenario, g.mode, g.state, String(g.trainees)])) : 'no game days');
    }));
}
