/** puduc's command tree; each command group lives in commands/. */
import { Command } from 'commander';
import { registerScenarioLocal } from './commands/scenario-local.ts';
import { registerScenarioRemote } from './commands/scenario-remote.ts';
import { registerScenarioLearning } from './commands/scenario-learning.ts';
import { registerScenarioReport } from './commands/scenario-report.ts';
import { registerGameDay } from './commands/gameday.ts';
import { registerFleet } from './commands/fleet.ts';
import { registerTerminal } from './commands/terminal.ts';
import { registerPolicy } from './commands/policy.ts';
import { registerExperiment } from './commands/experiment.ts';
import { registerLogin } from './commands/login.ts';
import { registerHalt } from './commands/halt.ts';
import { EXIT } from './output.ts';

const EXIT_HELP = `
Exit codes:
  0  success (with --wait: the run resolved, or the experiment's hypothesis held)
  1  invalid input, a refused request (400/404/409/422/423), or a run that ended
     unresolved (aborted by staff, expired, failed) or whose hypothesis was refuted
  2  wrong usage
  3  server unreachable, not authorised (401/403), or a server error (5xx)
  4  policy explain / experiment check / experiment propose: needs approval
  5  with --wait: the run was stopped by a guardrail, an abort_when condition,
     a ramp's on_breach: abort, or halt-all
  6  with --wait: pre-flight failed (nothing was applied; the reasons are in the error)

Environment:
  PUDU_SERVER  server URL (default http://localhost:8888)
  PUDU_TOKEN   API token`;

export function buildProgram(): { program: Command; scenario: Command } {
  const program = new Command('puduc')
    .description('Pudu command-line client: fleets, scenarios, terminals')
    .version('0.1.0')
    .addHelpText('after', EXIT_HELP)
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? EXIT.OK : EXIT.USAGE);
    });
  const scenario = program.command('scenario').description('validate, plan and run scenarios');
  registerScenarioLocal(scenario);
  registerScenarioRemote(scenario);
  registerScenarioLearning(scenario);
  registerScenarioReport(scenario);
  registerFleet(program);
  registerGameDay(program);
  registerTerminal(program);
  registerPolicy(program);
  registerExperiment(program);
  registerLogin(program);
  registerHalt(program);
  return { program, scenario };
}
