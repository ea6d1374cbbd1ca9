import { describe, expect, it } from 'vitest';
import { addressAllowed, parseAddressBlocks } from './address-blocks.js';

describe('address blocks', () => {
  it('parses IPv4 and IPv6 CIDR blocks and single addresses, and names the first bad line', () => {
    expect(parseAddressBlocks(['203.0.113.0/24', ' 2001:db8::/32 ', '198.51.100.7', ''])).toEqual({
      ok: true,
      blocks: ['203.0.113.0/24', '2001:db8::/32', '198.51.100.7/32'],
    });
    for (const bad of [
      '203.0.113.0/33',
      '2001:db8::/129',
      'example.com',
      '10.0.0.0/-1',
      '10.0.0.0/8x',
      '300.1.1.1',
    ]) {
      expect(parseAddressBlocks(['10.0.0.0/8', bad])).toEqual({ ok: false, invalid: bad });
    }
  });

  it('matches addresses inside the blocks only, IPv4-mapped IPv6 included', () => {
    const blocks = ['203.0.113.0/24', '2001:db8::/32'];
    expect(addressAllowed('203.0.113.77', blocks)).toBe(true);
    expect(addressAllowed('::ffff:203.0.113.77', blocks)).toBe(true);
    expect(addressAllowed('2001:db8:1::5', blocks)).toBe(true);
    expect(addressAllowed('203.0.114.1', blocks)).toBe(false);
    expect(addressAllowed('2001:db9::1', blocks)).toBe(false);
    expect(addressAllowed('not an address', blocks)).toBe(false);
  });
});
