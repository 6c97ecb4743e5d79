import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIpv4, ipv4Range, parseCidr, parseIpv4 } from './cidr.ts';

test('a CIDR block or a bare address of either family parses; anything else is null', () => {
  assert.deepEqual(parseCidr('10.1.0.0/16'), { text: '10.1.0.0/16', address: '10.1.0.0', family: 4, prefixLen: 16 });
  assert.deepEqual(parseCidr('fd00::66'), { text: 'fd00::66', address: 'fd00::66', family: 6, prefixLen: 128 });
  assert.equal(parseCidr('172.16.5.1')?.prefixLen, 32);
  for (const bad of ['10.0.0.0/33', 'fd00::/129', 'nope', '10.0.0.256/8', '10.0.0.0/8/1', '10.0.0.0/x', '', '/8']) assert.equal(parseCidr(bad), null, bad);
});

test('an IPv4 block covers the addresses of its prefix, host bits ignored', () => {
  assert.deepEqual(ipv4Range(parseCidr('172.16.5.9/30')!).map(formatIpv4), ['172.16.5.8', '172.16.5.12']);
  assert.equal(parseIpv4('255.255.255.255'), 2 ** 32 - 1);
  assert.throws(() => parseIpv4('1.2.3'), /invalid IPv4/);
  assert.throws(() => ipv4Range(parseCidr('fd00::/8')!), /not an IPv4 block/);
});
