/**
 * `puduc login`: OpenID Connect device sign-in through the server. puduc shows a code and a
 * URL to open in any browser; the server polls the identity provider and, once the user has
 * signed in, hands back a 12 h Pudu token whose role comes from the user's groups.
 */
import type { Command } from 'commander';
import { EXIT, printJson } from '../output.ts';
import { clientFromEnv, withClient } from './remote.ts';

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('sign in with the organisation\'s SSO (device flow); prints a token for PUDU_TOKEN')
    .option('--json', 'machine-readable output (the token and its expiry)')
    .action(async (o: { json?: boolean }) => {
      await withClient(async () => {
        const client = clientFromEnv({ token: '' });
        const start = await client.call('ssoDeviceStart', {});
        console.error(`To sign in, open ${start.verificationUriComplete ?? start.verificationUri}${start.verificationUriComplete ? '' : ` and enter the code ${start.userCode}`}`);
        console.error(`(code ${start.userCode}, valid ${Math.round(start.expiresInSeconds / 60)} min; waiting…)`);
        const until = Date.now() + start.expiresInSeconds * 1000;
        while (Date.now() < until) {
          await new Promise((r) => setTimeout(r, Math.max(1, start.intervalSeconds) * 1000));
          const r = await client.call('ssoDevicePoll', { body: { handle: start.handle } });
          if (r.status === 'done' && r.token) {
            if (o.json) printJson({ token: r.token, role: r.role, user: r.user, expiresAt: r.expiresAt });
            else {
              console.error(`signed in as ${r.user} (${r.role}) until ${r.expiresAt}`);
              console.log(`export PUDU_TOKEN=${r.token}`);
            }
            return EXIT.OK;
          }
        }
        console.error('puduc: the code expired before sign-in finished; run puduc login again');
        return EXIT.FAILED;
      });
    });
}
