import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addressForIndex, hostNamesForIndex, indexForAddress, parseNetworkBase, subnetOverlaps } from './addressing.ts';

test('indexes below 256 follow the seed layout 172.16.N.1 / 172.16.N.2', () => {
  assert.deepEqual(addressForIndex(0), {
    index: 0, subnet: '172.16.0.0', prefixLen: 30, hostIp: '172.16.0.1', guestIp: '172.16.0.2',
    hostCidr: '172.16.0.1/30', guestCidr: '172.16.0.2/30',
  });
  assert.equal(addressForIndex(7).guestIp, '172.16.7.2');
  assert.equal(addressForIndex(255).hostIp, '172.16.255.1');
});

test('indexes from 256 on are packed as /30s from the next /16 and do not cap at 256', () => {
  assert.equal(addressForIndex(256).hostIp, '172.17.0.1');
  assert.equal(addressForIndex(257).guestIp, '172.17.0.6');
  assert.equal(addressForIndex(256 + 16384).hostIp, '172.18.0.1');
  const base = parseNetworkBase();
  assert.equal(base.capacity, 256 + 15 * 16384);
  assert.equal(addressForIndex(base.capacity - 1).guestIp, '172.31.255.254');
  assert.throws(() => addressForIndex(base.capacity), { code: 'FLEET_CAPACITY' });
});

test('a configured base moves every address into that block', () => {
  const base = parseNetworkBase('10.200.0.0/16');
  assert.equal(base.capacity, 256);
  assert.equal(addressForIndex(3, base).hostIp, '10.200.3.1');
  assert.throws(() => parseNetworkBase('10.200.1.0/16'), /not aligned/);
  assert.throws(() => parseNetworkBase('10.200.0.0/24'), /between \/8 and \/16/);
  assert.throws(() => parseNetworkBase('nonsense'), /not a CIDR/);
});

test('every index maps to a distinct /30 that maps back to the same index', () => {
  const base = parseNetworkBase();
  fc.assert(fc.property(fc.integer({ min: 0, max: base.capacity - 1 }), fc.integer({ min: 0, max: base.capacity - 1 }), (a, b) => {
    const A = addressForIndex(a, base);
    assert.equal(indexForAddress(A.hostIp, base), a);
    assert.equal(indexForAddress(A.guestIp, base), a);
    if (a !== b) assert.equal(subnetOverlaps(a, `${addressForIndex(b, base).subnet}/30`, base), false);
  }));
});

test('addresses outside any VM /30 map to no index', () => {
  assert.equal(indexForAddress('172.16.3.9'), undefined);
  assert.equal(indexForAddress('172.16.3.3'), undefined);
  assert.equal(indexForAddress('192.168.0.1'), undefined);
});

test('host names carry the pudu prefix and fit in 15 characters for large indexes', () => {
  const n = hostNamesForIndex(245_000);
  assert.equal(n.netns, 'pudu-vm245000');
  assert.ok(n.hostVeth.startsWith('pudu') && n.hostVeth.length <= 15);
});

test('overlap detection sees containing and contained blocks', () => {
  assert.equal(subnetOverlaps(4, '172.16.0.0/16'), true);
  assert.equal(subnetOverlaps(4, '172.16.4.2/32'), true);
  assert.equal(subnetOverlaps(4, '172.16.5.0/24'), false);
});
