/**
 * Reconstructs the commands a responder ran from a recording: the output is replayed into
 * a headless terminal and, at every Enter typed, the line under the cursor is read — what
 * the screen showed (readline editing, history recall and tab completion included), not
 * the raw keystrokes. A line that starts with a shell prompt is a command; anything else
 * was typed into a program. Hidden input (passwords) never reaches the screen, so never
 * reaches the report either.
 */
import xtermHeadless from '@xterm/headless';
import type { ReconstructedCommand } from '@pudu/schema';
import type { AsciicastEvent, AsciicastHeader } from './asciicast.ts';

const { Terminal } = xtermHeadless;
type Term = InstanceType<typeof Terminal>;

const SCROLLBACK_LINES = 20_000;
const OUTPUT_LINES = 6;
/** `root@app-0:~# `, `[root@db-0 /]# `, `bash-5.2# ` (with an optional `(venv) ` in front). */
const PROMPTS: { re: RegExp; host: (m: RegExpExecArray) => string | null }[] = [
  { re: /^(?:\([^)]*\)\s*)?[\w.-]+@([\w.-]+):[^\s#$]*\s?[#$] ?(.*)$/, host: (m) => m[1] ?? null },
  { re: /^(?:\([^)]*\)\s*)?\[[\w.-]+@([\w.-]+)[^\]]*\][#$] ?(.*)$/, host: (m) => m[1] ?? null },
  { re: /^(?:ba|z|da)?sh-[\d.]+[#$] ?(.*)$/, host: () => null },
];

export const COMMAND_CAVEATS = [
  'Commands are read from the screen when Enter was pressed: what the shell showed, so history recall and tab completion are included, keystrokes that were erased are not.',
  'A line typed into a program (an editor, a pager, a database shell, a password prompt) is listed as "program", never as a shell command; hidden input such as passwords is never shown.',
  'Exit statuses are not known; "output" is only the first lines the screen showed after the command.',
  'A command sent by a script or pasted as several lines appears once per line the shell echoed.',
];

function write(term: Term, data: string): Promise<void> {
  return new Promise((resolve) => term.write(data, resolve));
}

/** The logical line (wrapped rows joined) that contains absolute row `y`, and its first row. */
function logicalLine(term: Term, y: number): { text: string; first: number; last: number } {
  const buf = term.buffer.active;
  let first = y;
  while (first > 0 && buf.getLine(first)?.isWrapped) first--;
  let last = y;
  while (buf.getLine(last + 1)?.isWrapped) last++;
  let text = '';
  for (let i = first; i <= last; i++) text += buf.getLine(i)?.translateToString(i === last) ?? '';
  return { text, first, last };
}

function matchPrompt(line: string): { host: string | null; command: string } | null {
  for (const p of PROMPTS) {
    const m = p.re.exec(line);
    if (m) return { host: p.host(m), command: (m[m.length - 1] ?? '').trim() };
  }
  return null;
}

interface Pending { cmd: ReconstructedCommand; lastRow: number }

/** The commands of one recording, in order. `runStartMs` puts them on the run's clock. */
export async function reconstructCommands(
  rec: { session: string; vm: string; startedAtMs: number; header: AsciicastHeader; events: AsciicastEvent[] },
  runStartMs: number | null,
): Promise<ReconstructedCommand[]> {
  const term = new Terminal({ cols: rec.header.width, rows: rec.header.height, scrollback: SCROLLBACK_LINES, allowProposedApi: true });
  const out: ReconstructedCommand[] = [];
  let open: Pending | null = null;
  let promptSeen = false;
  const closeOutput = (untilRow: number): void => {
    if (!open) return;
    const buf = term.buffer.active;
    const lines: string[] = [];
    for (let y = open.lastRow + 1; y < untilRow && lines.length < OUTPUT_LINES; y++) {
      const l = buf.getLine(y)?.translateToString(true) ?? '';
      if (l.trim()) lines.push(l);
    }
    open.cmd.output = lines;
    open = null;
  };
  // Enter may arrive before the echo of what was typed (a paste, a fast typist): the line
  // is read once the cursor has left it, i.e. once the shell has echoed it whole.
  let enter: { row: number; atMs: number } | null = null;
  const cursorRow = (): number => term.buffer.active.baseY + term.buffer.active.cursorY;
  const capture = (): void => {
    if (!enter) return;
    const line = logicalLine(term, enter.row);
    const atMs = enter.atMs;
    enter = null;
    const prompt = matchPrompt(line.text);
    const base = { at: new Date(atMs).toISOString(), runMs: runStartMs === null ? null : atMs - runStartMs, session: rec.session, vm: rec.vm };
    if (prompt) {
      promptSeen = true;
      closeOutput(line.first);
      if (prompt.command) {
        const cmd: ReconstructedCommand = { ...base, host: prompt.host, command: prompt.command, context: 'prompt', output: [] };
        out.push(cmd);
        open = { cmd, lastRow: line.last };
      }
    } else if (line.text.trim()) {
      // Typed into a program: kept (it is what they did), never as a shell command.
      out.push({ ...base, host: null, command: line.text.trim(), context: promptSeen ? 'program' : 'unknown', output: [] });
    }
  };
  try {
    for (const [t, code, data] of rec.events) {
      if (code === 'o') {
        await write(term, data);
        if (enter && cursorRow() > logicalLine(term, enter.row).last) capture();
      } else if (code === 'r') {
        const [c, r] = data.split('x').map(Number);
        if (c && r) term.resize(c, r);
      } else if (code === 'i' && /[\r\n]/.test(data)) {
        capture();
        enter = { row: cursorRow(), atMs: rec.startedAtMs + Math.round(t * 1000) };
      }
    }
    capture();
    closeOutput(logicalLine(term, cursorRow()).first);
    return out;
  } finally {
    term.dispose();
  }
}
