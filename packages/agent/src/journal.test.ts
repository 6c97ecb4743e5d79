import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, type JournalEntry } from './journal.ts';

function entry(id: string, phase: JournalEntry['phase'] = 'applied'): JournalEntry {
  const t = new Date().toISOString();
  return { id, type: 'dns', params: {}, state: 'active', started_at: t, expires_at: t, phase, undo: { line: `10.0.0.1\t${id}` } };
}

test('a journal written and reopened gives back the same entries', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-agt-journal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const j = new Journal(dir);
  j.load();
  j.put(entry('a'));
  j.put(entry('b', 'applying'));
  const again = new Journal(dir).load();
  assert.deepEqual(again.map((e) => [e.id, e.phase]), [['a', 'applied'], ['b', 'applying']]);
});

test('the journal file is allocated once and does not grow as faults are recorded', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-agt-journal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const j = new Journal(dir);
  j.load();
  const size = statSync(join(dir, 'state.db')).size;
  for (let i = 0; i < 50; i++) j.put(entry(`f${i}`, 'ended'));
  assert.equal(statSync(join(dir, 'state.db')).size, size);
});

test('a torn write of the newest slot falls back to the previous state', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-agt-journal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const j = new Journal(dir);
  j.load();
  j.put(entry('first')); // seq 2 → slot 0 (load wrote seq 1)
  j.put(entry('second')); // seq 3 → slot 1
  const fd = openSync(join(dir, 'state.db'), 'r+');
  writeSync(fd, Buffer.from('garbage'), 0, 7, 256 * 1024 + 100); // damage slot 1's body
  closeSync(fd);
  assert.deepEqual(new Journal(dir).load().map((e) => e.id), ['first']);
});

test('a journal says whether it is new, intact, or was emptied since the agent last wrote it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-agt-journal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const j = new Journal(dir);
  j.load();
  assert.equal(j.status, 'new');
  j.put(entry('a'));
  const again = new Journal(dir);
  again.load();
  assert.equal(again.status, 'intact');
  const fd = openSync(join(dir, 'state.db'), 'r+');
  writeSync(fd, Buffer.alloc(512 * 1024), 0, 512 * 1024, 0);
  closeSync(fd);
  const zeroed = new Journal(dir);
  assert.deepEqual(zeroed.load(), []);
  assert.equal(zeroed.status, 'lost');
});

test('the journal file does not show fault ids or types in clear text', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pudu-agt-journal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const j = new Journal(dir);
  j.load();
  j.put(entry('run42.disk-full'));
  const text = readFileSync(join(dir, 'state.db'), 'latin1');
  assert.ok(!text.includes('run42') && !text.includes('"dns"'), 'fault id or type in clear');
  assert.deepEqual(new Journal(dir).load().map((e) => e.id), ['run42.disk-full']);
});
