/** Every blocked range, each with an address inside it and the addresses just outside it on both sides. */
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import { BLOCKED_RANGES, blockedRangesOf, isAddressAllowed } from '../../src/net/address-policy.js';

const NO_PRIVATE = { allowPrivate: [] };

/** The address `offset` away from `base` (bigint arithmetic over the bytes), or null past either end of the space. */
function shifted(base: ipaddr.IPv4 | ipaddr.IPv6, offset: bigint): string | null {
  const bytes = base.toByteArray();
  const value = bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n) + offset;
  if (value < 0n || value >= 1n << BigInt(bytes.length * 8)) return null;
  const out = bytes.map((_, i) => Number((value >> BigInt((bytes.length - 1 - i) * 8)) & 0xffn));
  return ipaddr.fromByteArray(out).toString();
}

const rows = BLOCKED_RANGES.map((entry) => {
  const [network, prefix] = ipaddr.parseCIDR(entry.cidr);
  const size = 1n << BigInt(network.toByteArray().length * 8 - prefix);
  return {
    ...entry,
    inside: [shifted(network, 0n)!, shifted(network, size - 1n)!, shifted(network, size / 2n)!],
    outside: [shifted(network, -1n), shifted(network, size)].filter((a): a is string => a !== null),
  };
});

describe('the blocked ranges (IANA special-purpose registries, multicast, reserved)', () => {
  it('lists every range once, each with its RFC and label', () => {
    expect(new Set(BLOCKED_RANGES.map((r) => r.cidr)).size).toBe(BLOCKED_RANGES.length);
    for (const r of BLOCKED_RANGES) {
      expect(r.rfc).toMatch(/^RFC \d+$/);
      expect(r.label.length).toBeGreaterThan(3);
    }
    expect(BLOCKED_RANGES.length).toBe(43);
  });

  it.each(rows)('$cidr ($label, $rfc): first, last and middle address blocked; neighbours outside it', ({ cidr, inside, outside }) => {
    for (const ip of inside) {
      expect(blockedRangesOf(ip).map((r) => r.cidr)).toContain(cidr);
      expect(isAddressAllowed(ip, NO_PRIVATE)).toMatchObject({ allowed: false });
    }
    for (const ip of outside) {
      const holders = blockedRangesOf(ip);
      expect(holders.map((r) => r.cidr)).not.toContain(cidr);
      // Just outside: blocked only if another range holds it, else allowed.
      expect(isAddressAllowed(ip, NO_PRIVATE).allowed).toBe(holders.length === 0);
    }
  });

  it.each([
    ['fec0::1', 'fec0::/10'],
    ['::1', '::1/128'],
    ['fd00::1', 'fc00::/7'],
    ['2001::1', '2001::/32'],
    ['192.0.0.8', '192.0.0.8/32'],
    ['0.0.0.0', '0.0.0.0/32'],
    ['5f00::1', '5f00::/16'],
    ['::ffff:169.254.169.254', '169.254.0.0/16'],
  ])('names the most specific range for %s: %s', (ip, cidr) => {
    expect(blockedRangesOf(ip)[0].cidr).toBe(cidr);
  });

  it.each(['1.1.1.1', '8.8.8.8', '192.31.196.1', '192.52.193.1', '192.175.48.1', '2000::1', '2606:4700:4700::1111', '2620:4f:8000::1', '3fff:1000::1'])(
    'allows globally reachable %s',
    (ip) => {
      expect(isAddressAllowed(ip, NO_PRIVATE)).toEqual({ allowed: true });
    },
  );
});
