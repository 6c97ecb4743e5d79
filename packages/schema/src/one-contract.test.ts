// Issue 17, acceptance 2: a path, the SSE reading, the duration grammar and the score
// formula are each written once. This reads the repository's own code (packages, test,
// bench, scripts) the way `git grep` would and names every place that writes one again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_ROUTES } from './api-routes.ts';
import { AGENT_ROUTES } from './agent-routes.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const THIS_FILE = relative(ROOT, fileURLToPath(import.meta.url));
const CODE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'fixtures', '.git']);

interface Line { file: string; n: number; text: string }

function codeFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const rel = join(dir, e.name);
    if (e.isDirectory()) { if (!SKIP_DIRS.has(e.name)) codeFiles(rel, out); } else if (CODE.test(e.name) && !e.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** Every line of code outside comments (whole-line `//`, `/* … *\/` blocks and JSDoc). */
function codeLines(): Line[] {
  const lines: Line[] = [];
  for (const file of ['packages', 'test', 'bench', 'scripts'].flatMap((d) => codeFiles(d))) {
    if (file === THIS_FILE) continue;
    let inBlock = false;
    readFileSync(join(ROOT, file), 'utf8').split('\n').forEach((raw, i) => {
      let text = raw;
      if (inBlock) {
        const end = text.indexOf('*/');
        if (end < 0) return;
        inBlock = false;
        text = text.slice(end + 2);
      }
      const t = text.trim();
      if (t.startsWith('//')) return;
      if (t.startsWith('/*')) {
        if (!t.includes('*/')) inBlock = true;
        return;
      }
      lines.push({ file, n: i + 1, text: text.replace(/\s\/\/ .*$/, '') });
    });
  }
  return lines;
}

const LINES = codeLines();

/** `file:line: text` of each line matching `re` in a file `allowed` does not accept. */
function offenders(re: RegExp, allowed: (file: string, text: string) => boolean): string[] {
  return LINES.filter((l) => re.test(l.text) && !allowed(l.file, l.text)).map((l) => `${l.file}:${l.n}: ${l.text.trim().slice(0, 160)}`);
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/**
 * A path written as a string: after a quote, a backquote, a `${…}` base or a URL's host
 * (`http://agent/health` in a shell command), ending the string, a word or starting its query.
 */
const pathLiteral = (paths: readonly string[]): RegExp => {
  const alt = paths.map(escape).join('|');
  return new RegExp(`(['"\`]|\\})(${alt})(?=['"\`?])|https?://[\\w.:-]+(${alt})(?=['"\`?\\s])`);
};

/** Lines of the duplicates issue 17 found (before a5e8b43): each pattern below must still catch them. */
const HISTORY = {
  sse: [
    "if (line.startsWith('data:')) data += (data ? '\\n' : '') + line.slice(5).trimStart();",
    "const data = block.split('\\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\\n');",
  ],
  duration: ['const DURATION_PART = /(\\d+(?:\\.\\d+)?)(ms|h|m|s)/g;', "if (!/^(\\d+(?:\\.\\d+)?(ms|h|m|s))+$/.test(t)) return null;"],
  score: [
    'const timePenalty = round2(scoring.timePenaltyPerSecond * overS);',
    'const hintPenalty = round2(scoring.hintPenalty * hintsTaken);',
  ],
};

const ROUTE_TABLES = ['packages/schema/src/api-routes.ts', 'packages/schema/src/agent-routes.ts'];

test('the scanner sees the repository\'s code (a scan of nothing would prove nothing)', () => {
  assert.ok(LINES.length > 20_000, `${LINES.length} lines`);
  for (const f of ['packages/client/src/pudu-client.ts', 'packages/agent/src/server.ts', 'packages/web/src/main.ts', 'packages/engine/src/score.ts', 'test/agent/access.test.ts']) {
    assert.ok(LINES.some((l) => l.file === f), f);
  }
});

test('no API path is written outside the route table: every /api/v1 path comes from apiPath()', () => {
  const paths = API_ROUTES.map((r) => r.path);
  assert.ok(paths.length > 40 && paths.every((p) => p.startsWith('/api/v1/') || ['/healthz', '/readyz', '/metrics', '/ws'].includes(p)), 'the table\'s paths are the ones this test knows');
  // Kubernetes' core API is also /api/v1 (its namespaces, pods…): the driver and its stand-in may write those.
  const K8S_CORE = /\/api\/v1\/namespaces\b/;
  assert.ok(!paths.some((p) => K8S_CORE.test(p)), 'our API has no /api/v1/namespaces');
  assert.deepEqual(offenders(/\/api\/v1\b/, (f, text) => ROUTE_TABLES.includes(f) || (K8S_CORE.test(text) && !/\/api\/v1\/(?!namespaces\b)/.test(text))), []);
  // The API's own paths outside /api/v1. A VM's web app also answers /healthz (scenario
  // checks, the demo app-server) and Firecracker's API has a /metrics: those are not ours.
  const others = paths.filter((p) => !p.startsWith('/api/v1/'));
  const notOurs = (f: string, text: string): boolean =>
    ROUTE_TABLES.includes(f) ||
    (f === 'packages/drivers/src/firecracker/api-client.ts' && text.includes("'PUT', '/metrics'")) ||
    (/healthz/.test(text) && (f.startsWith('packages/app-server/') || f.startsWith('packages/engine/') || f.startsWith('test/scenarios/') || f.startsWith('test/drivers/') || /path: '\/healthz'|GET \/healthz/.test(text)));
  assert.deepEqual(offenders(pathLiteral(others), notOurs), []);
});

test('no agent path is written outside the agent route table: every request and handler uses agentPath()/matchAgentRoute()', () => {
  const paths = Object.values(AGENT_ROUTES).map((r) => r.path);
  assert.ok(paths.includes('/fault/start') && paths.includes('/health'));
  const notOurs = (f: string, text: string): boolean =>
    ROUTE_TABLES.includes(f) ||
    // The API's Prometheus endpoint and Firecracker's metrics config share the name.
    (f === 'packages/drivers/src/firecracker/api-client.ts' && text.includes("'PUT', '/metrics'"));
  assert.deepEqual(offenders(pathLiteral(paths), notOurs), []);
});

test('one SSE reader: only the client\'s event-stream.ts parses a stream (eventsource-parser)', () => {
  const reader = 'packages/client/src/event-stream.ts';
  assert.ok(LINES.some((l) => l.file === reader && l.text.includes('eventsource-parser')));
  const parser = /from ['"]eventsource-parser|import\(['"]eventsource-parser|new EventSource\(|startsWith\(\s*['"`](data|id|event|retry):|\/\^(data|id|event):/;
  for (const old of HISTORY.sse) assert.match(old, parser);
  // browser.ts tells a page's own data: URLs from foreign requests, it reads no stream.
  assert.deepEqual(offenders(parser, (f, text) => f === reader || (f === 'test/web/support/browser.ts' && text.includes("startsWith('blob:')"))), []);
});

test('one duration grammar: only schema/units.ts turns 1h30m into milliseconds', () => {
  const units = 'packages/schema/src/units.ts';
  // A regular expression with digits before a duration unit, or a unit → milliseconds table.
  const grammar = /\\d\+\)?\??[^'"`\n]{0,6}(\((\?:)?(ms|s|m|h|d)\||\[(ms|[smhd]{2,})\]|\)(ms|h|m|s|d)\b)/;
  const unitTable = /\bs:\s*1_?000\b.*\bm:\s*60_?000\b|\bm:\s*60_?000\b.*\bh:\s*3_?600_?000\b/;
  assert.ok(LINES.some((l) => l.file === units && grammar.test(l.text)), 'the pattern recognises the real grammar');
  for (const old of HISTORY.duration) assert.match(old, grammar);
  assert.deepEqual(offenders(grammar, (f) => f === units), []);
  assert.deepEqual(offenders(unitTable, (f) => f === units), []);
});

test('one score formula: only engine/src/score.ts charges time and hint penalties', () => {
  const score = 'packages/engine/src/score.ts';
  const formula = /(timePenaltyPerSecond|time_penalty_per_second|hintPenalty|hint_penalty)\s*\*|\*\s*[\w.]*(timePenaltyPerSecond|time_penalty_per_second|hintPenalty|hint_penalty)\b|(base|scoring\.base)\s*-\s*[\w.]*[tT]imePenalty/;
  assert.ok(LINES.some((l) => l.file === score && formula.test(l.text)), 'the pattern recognises the real formula');
  for (const old of HISTORY.score) assert.match(old, formula);
  assert.deepEqual(offenders(formula, (f) => f === score), []);
});

test('the web UI talks to the server only through @pudu/client', () => {
  const web = LINES.filter((l) => l.file.startsWith('packages/web/src/'));
  assert.ok(web.some((l) => /from '@pudu\/client'/.test(l.text)));
  // The terminal's WebSocket is opened on the URL the client builds (client.terminalUrl).
  assert.deepEqual(web.filter((l) => /\bfetch\(|XMLHttpRequest|\bapiPath\(|new EventSource\(/.test(l.text)).map((l) => `${l.file}:${l.n}: ${l.text.trim()}`), []);
});
