import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRunEventKind, parseRunEvent, RUN_EVENT_KINDS } from './run-events.ts';
import type { RunEvent } from './api.ts';

const ev = (kind: string, data: Record<string, unknown>): RunEvent => ({ seq: 1, runId: 'r1', at: '2026-11-29T19:00:00.000Z', kind, data });

test('a known kind comes back with its data typed; extra fields pass, a missing or mistyped one does not', () => {
  const e = parseRunEvent(ev('fault.applied', { id: 'disk-fill', type: 'disk', vm: 'app-0', extra: 1 }));
  assert.equal(e?.kind, 'fault.applied');
  if (e?.kind === 'fault.applied') assert.equal(e.data.vm, 'app-0');
  assert.equal(parseRunEvent(ev('fault.applied', { id: 'disk-fill', vm: 'app-0' })), null, 'type missing');
  assert.equal(parseRunEvent(ev('hint.taken', { index: '1', hintsUsed: 2, penalty: 10 })), null, 'index is a number');
  assert.equal(parseRunEvent(ev('objective.passed', { objectiveId: 'o1', detail: 'ok' })), null, 'the id is `id`, not a guess');
});

test('a kind the table does not list is not guessed at', () => {
  assert.equal(parseRunEvent(ev('something.new', { id: 'x' })), null);
  assert.equal(isRunEventKind('toString'), false, 'no inherited keys');
});

// Every kind the engine and the server publish with a literal kind must be in the table, so
// its readers (web timeline, reports, webhooks) can rely on its keys. Kinds built from a
// variable (`run.${state}`, `integrity.${kind}`) are typed by their union instead.
test('every event kind published in packages/ is in RUN_EVENT_DATA', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const published = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) { if (e.name !== 'node_modules' && e.name !== 'web') walk(p); continue; }
      if (!e.name.endsWith('.ts') || e.name.endsWith('.test.ts')) continue;
      const text = readFileSync(p, 'utf8');
      for (const m of text.matchAll(/\bpublish\(\s*[\w.!]+\s*,\s*([^,]+?)\s*,/g)) {
        for (const k of m[1]!.matchAll(/'([a-z-]+\.[a-z_-]+)'/g)) published.add(k[1]!);
      }
    }
  };
  walk(root);
  assert.ok(published.has('fault.applied') && published.has('terminal.opened') && published.has('objective.failing'), [...published].join(' '));
  const missing = [...published].filter((k) => !isRunEventKind(k));
  assert.deepEqual(missing, [], 'add a data schema for each to RUN_EVENT_DATA in packages/schema/src/run-events.ts');
  assert.ok(RUN_EVENT_KINDS.length >= published.size);
});
