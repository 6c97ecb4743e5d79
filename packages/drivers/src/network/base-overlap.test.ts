import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overlappingRoutes, readHostRoutes } from './base-overlap.ts';

const DOCKER_HOST = [
  { dst: '192.0.2.0/24', dev: 'eth0' },
  { dst: '172.17.0.0/16', dev: 'docker0' },
  { dst: '172.16.3.0/30', dev: 'pudu-h3' },
  { dst: '172.16.211.0/30', dev: 'vh211' },
  { dst: '172.16.211.3', dev: 'vh211', table: 'local' },
  { dst: '172.16.9.0/30', dev: 'eth1' },
  { dst: '0.0.0.0/1', dev: 'tun0' },
  { dst: '10.213.7.1', dev: 'lo', table: 'local' },
];

test("the seed's default base is refused on a Docker host: index 256 would land in docker0's 172.17.0.0/16", () => {
  assert.deepEqual(overlappingRoutes('172.16.0.0/12', DOCKER_HOST).map((r) => r.dev), ['docker0', 'eth1']);
});

test("a VM's /30 on a link named for its index and VPN half-default routes do not count; another link in the block does", () => {
  assert.deepEqual(overlappingRoutes('172.16.0.0/16', DOCKER_HOST).map((r) => r.dev), ['eth1']);
  assert.deepEqual(overlappingRoutes('10.213.0.0/16', DOCKER_HOST).map((r) => r.dst), ['10.213.7.1']);
  assert.deepEqual(overlappingRoutes('10.0.0.0/8', [{ dst: '10.0.0.0/8', dev: 'wg0' }]).length, 1);
});

test("reads this host's real routes with ip -j", async () => {
  const routes = await readHostRoutes();
  assert.ok(routes.some((r) => r.dst.startsWith('127.')), JSON.stringify(routes.slice(0, 3)));
  assert.ok(routes.every((r) => r.dst !== 'default'));
});
