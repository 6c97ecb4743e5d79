// What the shipped UI bundle is made of, read from its own source map: the web UI talks
// to the server only through @pudu/client (paths from the schema's route table, SSE by
// eventsource-parser) and shows the engine's score, with no copy of either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { buildWebForTests, filesWithSource } from './support/build.ts';

function bundleSources(webDir: string): string[] {
  const map = JSON.parse(readFileSync(join(webDir, 'app.js.map'), 'utf8')) as { sources: string[] };
  return map.sources.map((s) => relative(process.cwd(), resolve(webDir, s)));
}

test('the web bundle imports @pudu/client, the route table, eventsource-parser and the engine score', async () => {
  const sources = bundleSources(await buildWebForTests());
  for (const needed of [
    'packages/client/src/pudu-client.ts', 'packages/client/src/event-stream.ts', 'packages/schema/src/api-routes.ts',
    'node_modules/eventsource-parser/src/parse.ts', 'packages/engine/src/score.ts',
  ]) assert.ok(sources.some((s) => s.endsWith(needed)), `${needed} is not in the bundle`);
  const own = sources.filter((s) => s.startsWith('packages/web/'));
  assert.ok(own.length > 10, 'the bundle has the web UI itself');
  for (const gone of ['packages/web/src/api.ts', 'packages/web/src/score.ts', 'packages/web/src/normalise.ts']) {
    assert.ok(!sources.some((s) => s.endsWith(gone)), `${gone} is back`);
  }
});

test('the web bundle loads no Node module', async () => {
  const js = readFileSync(join(await buildWebForTests(), 'app.js'), 'utf8');
  assert.doesNotMatch(js, /["']node:[a-z/_]+["']/);
});

test('the replay player is a chunk of its own, loaded on demand: the incident room does not carry it', async () => {
  const webDir = await buildWebForTests();
  const holders = filesWithSource(webDir, 'node_modules/asciinema-player/');
  assert.equal(holders.length, 1, `asciinema-player is in ${JSON.stringify(holders)}`);
  assert.match(holders[0]!, /^chunks\//);
  const app = readFileSync(join(webDir, 'app.js'), 'utf8');
  assert.ok(app.includes(holders[0]!.replace(/^chunks\//, '')), 'app.js imports the player chunk (dynamically)');
  assert.doesNotMatch(app, new RegExp(`^import[^;]*${holders[0]!.replace(/^chunks\//, '').replace('.', '\\.')}`, 'm'), 'app.js imports it statically');
  const player = readFileSync(join(webDir, holders[0]!)).length;
  console.log(`# app.js ${Math.round(app.length / 1024)} KiB, replay player chunk ${Math.round(player / 1024)} KiB`);
});
