import { BlockList, isIP } from 'node:net';

/**
 * Parses CIDR blocks (`203.0.113.0/24`, `2001:db8::/32`, or a single address) for an IP
 * allowlist; returns the normalized blocks, or the first one that is not valid.
 */
export function parseAddressBlocks(
  lines: readonly string[],
): { ok: true; blocks: string[] } | { ok: false; invalid: string } {
  const blocks: string[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    const [address = '', prefixText] = line.split('/');
    const family = isIP(address);
    const maximum = family === 6 ? 128 : 32;
    const prefix = prefixText === undefined ? maximum : Number(prefixText);
    if (
      family === 0 ||
      !Number.isInteger(prefix) ||
      prefix < 0 ||
      prefix > maximum ||
      (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText))
    ) {
      return { ok: false, invalid: line };
    }
    blocks.push(`${address}/${prefix}`);
  }
  return { ok: true, blocks };
}

/** Whether `address` falls in any of `blocks` (IPv4-mapped IPv6 addresses count as IPv4). */
export function addressAllowed(address: string, blocks: readonly string[]): boolean {
  const list = new BlockList();
  for (const block of blocks) {
    const [network = '', prefix = ''] = block.split('/');
    list.addSubnet(network, Number(prefix), isIP(network) === 6 ? 'ipv6' : 'ipv4');
  }
  const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  const family = isIP(plain);
  return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
}
