import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsciicastWriter, parseAsciicast, type AsciicastEvent } from './asciicast.ts';
import { reconstructCommands } from './commands.ts';

const HEADER = { version: 2 as const, width: 80, height: 24, timestamp: 1_700_000_000 };
const START = 1_700_000_000_000;

/** A bash-like session: prompt, echoed keystrokes, Enter, output. */
function session(steps: ([number, 'o' | 'i', string])[]): AsciicastEvent[] {
  return steps.map(([t, c, d]) => [t, c, d]);
}

test('lists commands typed at a shell prompt with their times on the run clock and their first output lines', async () => {
  const events = session([
    [0.1, 'o', 'root@app-0:~# '],
    [1.0, 'i', 'd'], [1.0, 'o', 'd'], [1.1, 'i', 'f'], [1.1, 'o', 'f'], [1.2, 'i', ' -h'], [1.2, 'o', ' -h'],
    [1.5, 'i', '\r'], [1.5, 'o', '\r\nFilesystem Size Used Avail Use% Mounted on\r\n/dev/loop0 1.0G 1.0G 0 100% /\r\nroot@app-0:~# '],
    [3.0, 'i', 'du -sh /var/log/*\r'], [3.0, 'o', 'du -sh /var/log/*\r\n900M\t/var/log/huge\r\nroot@app-0:~# '],
    [4.0, 'i', '\r'], [4.0, 'o', '\r\nroot@app-0:~# '],
  ]);
  const cmds = await reconstructCommands({ session: 's1', vm: 'app-0', startedAtMs: START, header: HEADER, events }, START - 10_000);
  assert.deepEqual(cmds.map((c) => [c.command, c.context, c.host, c.runMs]), [['df -h', 'prompt', 'app-0', 11_500], ['du -sh /var/log/*', 'prompt', 'app-0', 13_000]]);
  assert.match(cmds[0]!.output.join('\n'), /100% \//);
  assert.deepEqual(cmds[1]!.output, ['900M    /var/log/huge']);
});

test('reads what the screen showed, so history recall and erased keystrokes come out as the shell ran them', async () => {
  const events = session([
    [0, 'o', 'root@app-0:~# '],
    [1, 'i', 'rmx'], [1, 'o', 'rmx'], [1.1, 'i', '\x7f'], [1.1, 'o', '\b\x1b[K'], [1.2, 'i', ' /var/log/huge'], [1.2, 'o', ' /var/log/huge'],
    [1.5, 'i', '\r'], [1.5, 'o', '\r\nroot@app-0:~# '],
    [2, 'i', '\x1b[A'], [2, 'o', 'rm /var/log/huge'], [2.5, 'i', '\r'], [2.5, 'o', '\r\nrm: cannot remove \'/var/log/huge\': No such file or directory\r\nroot@app-0:~# '],
  ]);
  const cmds = await reconstructCommands({ session: 's1', vm: 'app-0', startedAtMs: START, header: HEADER, events }, START);
  assert.deepEqual(cmds.map((c) => c.command), ['rm /var/log/huge', 'rm /var/log/huge']);
  assert.match(cmds[1]!.output[0]!, /No such file/);
});

test('a line typed into a program is listed as program input, and a hidden password never appears', async () => {
  const events = session([
    [0, 'o', 'root@db-0:~# '],
    [1, 'i', 'psql -U app\r'], [1, 'o', 'psql -U app\r\nPassword for user app: '],
    [2, 'i', 'hunter2\r'], [2, 'o', '\r\napp=> '],
    [3, 'i', 'select 1;\r'], [3, 'o', 'select 1;\r\n 1\r\napp=> '],
  ]);
  const cmds = await reconstructCommands({ session: 's2', vm: 'db-0', startedAtMs: START, header: HEADER, events }, START);
  assert.deepEqual(cmds.map((c) => [c.command, c.context]), [['psql -U app', 'prompt'], ['Password for user app:', 'program'], ['app=> select 1;', 'program']]);
  assert.ok(!JSON.stringify(cmds).includes('hunter2'), 'the password typed blind is not in the list');
});

test('without any recognised prompt the context is unknown, not guessed', async () => {
  const events = session([[0, 'o', '> '], [1, 'i', 'ls\r'], [1, 'o', 'ls\r\n> ']]);
  const cmds = await reconstructCommands({ session: 's3', vm: 'app-0', startedAtMs: START, header: HEADER, events }, null);
  assert.deepEqual(cmds.map((c) => [c.command, c.context, c.runMs]), [['> ls', 'unknown', null]]);
});

test('a long command that wraps over two rows is read whole', async () => {
  const long = `echo ${'x'.repeat(100)}`;
  const events = session([[0, 'o', 'root@app-0:~# '], [1, 'i', `${long}\r`], [1, 'o', `${long}\r\n${'x'.repeat(100)}\r\nroot@app-0:~# `]]);
  const cmds = await reconstructCommands({ session: 's4', vm: 'app-0', startedAtMs: START, header: HEADER, events }, START);
  assert.equal(cmds[0]?.command, long);
});

test('the writer emits asciicast v2 that parses back, keeping a UTF-8 character split across chunks whole', () => {
  const w = new AsciicastWriter(HEADER, START);
  const euro = Buffer.from('€');
  const text = w.headerLine() + w.line(START + 10, 'o', euro.subarray(0, 1)) + w.line(START + 20, 'o', euro.subarray(1)) + w.line(START + 30, 'r', '100x30') + w.line(START + 1500, 'i', Buffer.from('ls\r'));
  const { header, events } = parseAsciicast(text);
  assert.equal(header.version, 2);
  assert.deepEqual(events, [[0.02, 'o', '€'], [0.03, 'r', '100x30'], [1.5, 'i', 'ls\r']]);
});

test('parseAsciicast refuses a document that is not asciicast v2', () => {
  assert.throws(() => parseAsciicast('{"version":1}\n'), /not an asciicast v2/);
  assert.throws(() => parseAsciicast('{"version":2,"width":1,"height":1}\n[1,2]\n'), /line 2/);
});
