/** `puduc fleet create --count N | list | delete ID`. */
import { InvalidArgumentError, type Command } from 'commander';
import type { Fleet } from '@pudu/schema';
import { formatTable, printJson } from '../output.ts';
import { clientFromEnv, withClient } from './remote.ts';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('expected a whole number from 1 to 64');
  return n;
}

function fleetRows(fleets: Fleet[]): string {
  return formatTable(
    ['ID', 'STATE', 'VMS', 'DRIVER', 'RUN', 'BOOT', 'CREATED'],
    fleets.map((f) => [f.id, f.state, f.vms.map((v) => `${v.name}(${v.index}:${v.guestIp})`).join(' ') || '-', f.driver, f.runId ?? '-', f.bootMs === null ? '-' : `${(f.bootMs / 1000).toFixed(1)}s`, f.createdAt]),
  );
}

export function registerFleet(program: Command): void {
  const fleet = program.command('fleet').description('create, list and delete VM fleets on the server');
  fleet
    .command('create')
    .description('boot N VMs; answers when every VM is ready (SSH root/root, agent on :7777)')
    .requiredOption('--count <n>', 'number of VMs', positiveInt)
    .option('--json', 'print the fleet as JSON')
    .action(async (o: { count: number; json?: boolean }) =>
      withClient(async () => {
        if (!o.json) process.stderr.write(`creating a fleet of ${o.count} VM(s)…\n`);
        const f = await clientFromEnv().createFleet({ count: o.count });
        if (o.json) return printJson(f);
        console.log(`fleet ${f.id} ready in ${((f.bootMs ?? 0) / 1000).toFixed(1)} s`);
        for (const v of f.vms) console.log(`  ${v.name}  index ${v.index}  ssh root@${v.guestIp}  (puduc terminal ${v.index})`);
      }),
    );
  fleet
    .command('list')
    .description('list fleets')
    .option('--json', 'print JSON')
    .option('--all', 'include deleted fleets')
    .action(async (o: { json?: boolean; all?: boolean }) =>
      withClient(async () => {
        const fleets = (await clientFromEnv().listFleets()).filter((f) => o.all || f.state !== 'deleted');
        if (o.json) return printJson(fleets);
        console.log(fleets.length ? fleetRows(fleets) : 'no fleets');
      }),
    );
  fleet
    .command('delete <id>')
    .description('destroy a fleet and its VMs')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) =>
      withClient(async () => {
        const f = await clientFromEnv().deleteFleet(id);
        if (o.json) return printJson(f);
        console.log(`fleet ${f.id} ${f.state}`);
      }),
    );
}
