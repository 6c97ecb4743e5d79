/**
 * `puduc scenario report ID [--format json|markdown|html|pdf] [-o FILE]` and
 * `puduc scenario notes ID …`: the post-mortem and its notes. PDF is the HTML printed by
 * Chromium (Debian's `chromium`, or $PUDU_CHROMIUM) in headless mode.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { InvalidArgumentError, type Command } from 'commander';
import { EXIT, printJson } from '../output.ts';
import { clientFromEnv, withClient } from './remote.ts';

const run = promisify(execFile);
const FORMATS = ['json', 'markdown', 'html', 'pdf'] as const;
type Format = (typeof FORMATS)[number];
const PDF_TIMEOUT_MS = 120_000;

function formatArg(v: string): Format {
  if (!(FORMATS as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${FORMATS.join(', ')}`);
  return v as Format;
}

/** Prints an HTML file to PDF with headless Chromium; returns the PDF bytes. */
export async function htmlToPdf(html: string): Promise<Buffer> {
  const browser = process.env.PUDU_CHROMIUM ?? '/usr/bin/chromium';
  const dir = await mkdtemp(join(tmpdir(), 'puduc-report-'));
  try {
    const page = join(dir, 'report.html');
    const pdf = join(dir, 'report.pdf');
    await writeFile(page, html);
    await run(browser, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-first-run', `--user-data-dir=${join(dir, 'profile')}`, '--no-pdf-header-footer', `--print-to-pdf=${pdf}`, `file://${page}`,
    ], { timeout: PDF_TIMEOUT_MS }).catch((e: NodeJS.ErrnoException & { stderr?: string }) => {
      throw new Error(e.code === 'ENOENT' ? `no browser at ${browser}: install Debian's chromium (apt-get install chromium) or set PUDU_CHROMIUM` : `chromium could not print the report: ${(e.stderr ?? e.message).split('\n').slice(-3).join(' ')}`);
    });
    return await readFile(pdf);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function registerScenarioReport(scenario: Command): void {
  scenario
    .command('report <id>')
    .description('the post-mortem of a run: JSON, Markdown, printable HTML or PDF (through Chromium)')
    .option('--format <format>', `one of ${FORMATS.join(', ')}`, formatArg, 'markdown' as Format)
    .option('-o, --output <file>', 'write here instead of stdout (required for pdf)')
    .action(async (id: string, o: { format: Format; output?: string }) =>
      withClient(async () => {
        const client = clientFromEnv();
        if (o.format === 'pdf' && !o.output) {
          console.error('puduc: --format pdf needs -o FILE');
          return EXIT.USAGE;
        }
        let body: string | Buffer;
        if (o.format === 'json') body = `${JSON.stringify(await client.getRunReport(id), null, 2)}\n`;
        else if (o.format === 'pdf') body = await htmlToPdf(await client.getRunReportText(id, 'html'));
        else body = await client.getRunReportText(id, o.format);
        if (!o.output) {
          process.stdout.write(body);
          return EXIT.OK;
        }
        await writeFile(o.output, body);
        console.error(`wrote ${resolve(o.output)} (${body.length} bytes)`);
        return EXIT.OK;
      }),
    );
  scenario
    .command('notes <id>')
    .description('show or edit a run\'s notes (trainee token: --trainee; staff: --feedback, --action, --runbook)')
    .option('--trainee <text>', 'the responder\'s account: what they saw, what they tried (replaces it)')
    .option('--feedback <text>', 'instructor feedback (replaces the instructor notes)')
    .option('--action <item>', 'an action item (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--runbook <url>', 'a runbook link (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--json', 'print JSON')
    .action(async (id: string, o: { trainee?: string; feedback?: string; action: string[]; runbook: string[]; json?: boolean }) =>
      withClient(async () => {
        const client = clientFromEnv();
        const staffEdit = o.feedback !== undefined || o.action.length > 0 || o.runbook.length > 0;
        const notes = o.trainee === undefined && !staffEdit
          ? await client.getRunNotes(id)
          : await client.updateRunNotes(id, {
            ...(o.trainee === undefined ? {} : { trainee: o.trainee }),
            ...(staffEdit ? { instructor: { feedback: o.feedback ?? '', actionItems: o.action, runbookLinks: o.runbook } } : {}),
          });
        if (o.json) return printJson(notes);
        console.log(`Trainee notes:\n${notes.trainee || '  (none)'}\n\nInstructor feedback:\n${notes.instructor.feedback || '  (none)'}`);
        if (notes.instructor.actionItems.length) console.log(`\nAction items:\n${notes.instructor.actionItems.map((a) => `  - ${a}`).join('\n')}`);
        if (notes.instructor.runbookLinks.length) console.log(`\nRunbooks:\n${notes.instructor.runbookLinks.map((a) => `  - ${a}`).join('\n')}`);
        if (notes.updatedAt) console.log(`\nlast edited ${notes.updatedAt} by ${notes.updatedBy}`);
      }),
    );
}
