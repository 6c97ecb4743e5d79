import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { apiPath } from '@pudu/schema';
import { createForwarder } from './forward.ts';

test('a follower tunnels a WebSocket to the leader both ways, binary and text frames alike', async (t) => {
  const leader = createServer();
  const wss = new WebSocketServer({ server: leader, handleProtocols: (p) => [...p][0] ?? false });
  wss.on('connection', (ws) => {
    ws.send(JSON.stringify({ type: 'hello' }));
    ws.on('message', (d, isBinary) => ws.send(Buffer.concat([Buffer.from('echo:'), d as Buffer]), { binary: isBinary }));
  });
  await new Promise<void>((r) => leader.listen(0, '127.0.0.1', r));
  t.after(() => leader.close());
  const fw = createForwarder({ role: () => 'follower', replicaId: 'r-test', leaderUrl: async () => `http://127.0.0.1:${(leader.address() as AddressInfo).port}`, log: () => undefined });
  const follower = createServer();
  follower.on('upgrade', (req, socket, head) => assert.equal(fw.upgrade(req, socket, head), true));
  await new Promise<void>((r) => follower.listen(0, '127.0.0.1', r));
  t.after(() => follower.close());
  const ws = new WebSocket(`ws://127.0.0.1:${(follower.address() as AddressInfo).port}${apiPath('terminal', {}, { vm: 0 })}`, ['pudu.token.x']);
  t.after(() => ws.terminate());
  const got: string[] = [];
  ws.on('message', (d, isBinary) => got.push(`${isBinary ? 'bin' : 'text'} ${String(d)}`));
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  assert.equal(ws.protocol, 'pudu.token.x');
  ws.send(Buffer.from('ls\n'), { binary: true });
  for (let i = 0; i < 100 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(got, ['text {"type":"hello"}', 'bin echo:ls\n']);
});
