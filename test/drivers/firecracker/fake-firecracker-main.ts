/**
 * `firecracker --api-sock PATH --id ID` for tests: the fake API as its own process, so the
 * driver's real launch path (spawn, socket wait, console capture, stop by PID) is exercised.
 * Requests are appended to $FAKE_FC_REQUEST_LOG (default PATH.requests.jsonl).
 */
import { startFakeFirecracker } from './fake-firecracker.ts';

const args = process.argv.slice(2);
const sock = args[args.indexOf('--api-sock') + 1];
if (!sock || args.indexOf('--api-sock') < 0) {
  process.stderr.write('usage: fake-firecracker --api-sock PATH [--id ID]\n');
  process.exit(2);
}
const fake = await startFakeFirecracker(sock, {
  requestLog: process.env.FAKE_FC_REQUEST_LOG ?? `${sock}.requests.jsonl`,
  console: (line) => process.stdout.write(`${line}\n`),
  onExit: () => void fake.close().then(() => process.exit(0)),
});
process.stdout.write(`fake-firecracker: API on ${sock}\n`);
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void fake.close().then(() => process.exit(0)));
