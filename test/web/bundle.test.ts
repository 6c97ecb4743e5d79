// What the shipped UI bundle is made of, read from its own source map: the web UI talks
// to the server only through @pudu/client (paths from the schema's route table, SSE by
// eventsource-parser) and shows the engine's score, with no copy of either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { buildWebForTests } from './support/build.ts';

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
