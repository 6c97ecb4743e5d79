/** `puduc halt --reason TEXT | halt release | halt status`: the lab's emergency stop. */
import type { Command } from 'commander';
import type { HaltResult, HaltStatus } from '@pudu/schema';
import { printJson } from '../output.ts';
import { clientFromEnv, withClient } from './remote.ts';

function statusLine(s: HaltStatus): string {
  if (s.engaged) return `halt-all ENGAGED since ${s.at ?? '?'} by ${s.by ?? '?'}: ${s.reason ?? ''} (new runs and faults are refused with 423 HALTED)`;
  return s.at ? `halt-all released at ${s.at} (last reason: ${s.reason ?? ''})` : 'halt-all is not engaged';
}

function resultLines(r: HaltResult): string[] {
  const lines = [
    statusLine(r),
    `${r.runs.length} run(s) halted${r.runs.length ? `: ${r.runs.join(', ')}` : ''}; ${r.faultsReverted} fault(s) reverted; ${r.agentsReached} agent(s) swept directly; ${r.elapsedMs} ms`,
  ];
  for (const e of r.agentErrors) lines.push(`  agent ${e.fleetId}/${e.vm} did not confirm: ${e.error}`);
  return lines;
}

export function registerHalt(program: Command): void {
  const halt = program
    .command('halt')
    .description('halt all: revert every active fault on every run, end the runs, refuse new ones until released (admin, instructor)')
    .option('--reason <text>', 'why (shown on every run and in the audit log)')
    .option('--json', 'print JSON')
    .action(async (o: { reason?: string; json?: boolean }) =>
      withClient(async () => {
        if (!o.reason) {
          console.error('puduc: halt needs --reason TEXT (or: puduc halt status | puduc halt release)');
          return 2;
        }
        const r = await clientFromEnv().call('haltAll', { body: { reason: o.reason } });
        if (o.json) return printJson(r);
        for (const l of resultLines(r)) console.log(l);
        return r.agentErrors.length ? 1 : 0;
      }),
    );
  halt
    .command('release')
    .description('release halt-all (admin); 409 when it is not engaged')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) =>
      withClient(async () => {
        const s = await clientFromEnv().call('releaseHalt', {});
        if (o.json) return printJson(s);
        console.log(statusLine(s));
      }),
    );
  halt
    .command('status')
    .description('whether halt-all is engaged, why and by whom')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) =>
      withClient(async () => {
        const s = await clientFromEnv().call('getHalt', {});
        if (o.json) return printJson(s);
        console.log(statusLine(s));
      }),
    );
}
