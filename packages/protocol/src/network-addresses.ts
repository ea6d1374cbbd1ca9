import { isIP } from 'node:net';

/**
 * The kind of network an IP address belongs to, which decides whether a provider credential may be
 * sent to it (spec Part 7 §7.8, [SEC-7] and [SEC-8]):
 * - `loopback`: this machine (127.0.0.0/8, ::1);
 * - `private`: a network of the owner's own that the internet cannot reach: RFC 1918, CGNAT
 *   100.64.0.0/10, unique local fc00::/7, and the other special-purpose ranges that are not
 *   globally reachable (documentation, benchmarking, 240.0.0.0/4, …);
 * - `link_local`: 169.254.0.0/16 and fe80::/10, where cloud hosts answer;
 * - `metadata`: a cloud instance-metadata service (169.254.169.254, fd00:ec2::254,
 *   100.100.100.200, …), whatever range it sits in;
 * - `unspecified`, `broadcast`, `multicast`: not an address of one host;
 * - `public`: everything else.
 */
export type AddressClass =
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'metadata'
  | 'unspecified'
  | 'broadcast'
  | 'multicast'
  | 'public';

/** Classes a credential is never sent to, whatever the owner chose ([SEC-8]). */
export const FORBIDDEN_ADDRESS_CLASSES: ReadonlySet<AddressClass> = new Set([
  'link_local',
  'metadata',
  'unspecified',
  'broadcast',
  'multicast',
]);

interface Block {
  network: bigint;
  prefix: number;
  addressClass: AddressClass;
}

const block = (text: string, addressClass: AddressClass): Block => {
  const [address = '', prefix = ''] = text.split('/');
  const value = isIP(address) === 4 ? ipv4Value(address) : ipv6Value(address);
  if (value === undefined) throw new TypeError(`bad block ${text}`);
  return { network: value, prefix: Number(prefix), addressClass };
};

// First match wins: the metadata addresses come before the ranges that hold them.
const IPV4_BLOCKS: readonly Block[] = [
  // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle; AWS ECS task metadata.
  block('169.254.169.254/32', 'metadata'),
  block('169.254.170.2/32', 'metadata'),
  // Alibaba Cloud (inside CGNAT space), Oracle Cloud Classic, Azure WireServer (a public address).
  block('100.100.100.200/32', 'metadata'),
  block('192.0.0.192/32', 'metadata'),
  block('168.63.129.16/32', 'metadata'),
  block('0.0.0.0/8', 'unspecified'),
  block('127.0.0.0/8', 'loopback'),
  block('169.254.0.0/16', 'link_local'),
  block('255.255.255.255/32', 'broadcast'),
  block('224.0.0.0/4', 'multicast'),
  block('10.0.0.0/8', 'private'),
  block('172.16.0.0/12', 'private'),
  block('192.168.0.0/16', 'private'),
  block('100.64.0.0/10', 'private'),
  // Special-purpose ranges that are not globally reachable (RFC 6890 and its registry).
  block('192.0.0.0/24', 'private'),
  block('192.0.2.0/24', 'private'),
  block('198.18.0.0/15', 'private'),
  block('198.51.100.0/24', 'private'),
  block('203.0.113.0/24', 'private'),
  block('240.0.0.0/4', 'private'),
];

const IPV6_BLOCKS: readonly Block[] = [
  block('fd00:ec2::254/128', 'metadata'),
  block('::/128', 'unspecified'),
  block('::1/128', 'loopback'),
  block('fe80::/10', 'link_local'),
  block('ff00::/8', 'multicast'),
  block('fc00::/7', 'private'),
  // Deprecated site-local, local-use NAT64, discard-only, Teredo, benchmarking, documentation.
  block('fec0::/10', 'private'),
  block('64:ff9b:1::/48', 'private'),
  block('100::/64', 'private'),
  block('2001::/32', 'private'),
  block('2001:2::/48', 'private'),
  block('2001:db8::/32', 'private'),
];

// IPv6 ranges whose address carries an IPv4 address that is what the packet finally reaches:
// IPv4-mapped, IPv4-translated, NAT64 (RFC 6052), IPv4-compatible, and 6to4 (bits 16 to 47).
const EMBEDDING_BLOCKS: ReadonlyArray<{ block: Block; shift: bigint }> = [
  { block: block('::ffff:0:0/96', 'public'), shift: 0n },
  { block: block('::ffff:0:0:0/96', 'public'), shift: 0n },
  { block: block('64:ff9b::/96', 'public'), shift: 0n },
  { block: block('::/96', 'public'), shift: 0n },
  { block: block('2002::/16', 'public'), shift: 80n },
];

/**
 * The class of an IP address (IPv4 dotted quad, or IPv6 with or without brackets and zone), or
 * `undefined` when `address` is not an IP address. An IPv6 address that carries an IPv4 one
 * (IPv4-mapped, NAT64, 6to4, …) has the class of the IPv4 address it leads to.
 *
 * @example
 * ```ts
 * classifyAddress('169.254.169.254'); // 'metadata'
 * classifyAddress('::ffff:10.0.0.1'); // 'private'
 * classifyAddress('8.8.8.8'); // 'public'
 * ```
 */
export function classifyAddress(address: string): AddressClass | undefined {
  const plain = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const family = isIP(plain);
  if (family === 4) {
    const value = ipv4Value(plain);
    return value === undefined ? undefined : match(IPV4_BLOCKS, value, 32);
  }
  if (family !== 6) return undefined;
  const value = ipv6Value(plain);
  if (value === undefined) return undefined;
  // :: and ::1 sit inside ::/96 but are IPv6's own.
  if (value > 1n) {
    for (const { block: embedding, shift } of EMBEDDING_BLOCKS) {
      if (inBlock(embedding, value, 128)) return match(IPV4_BLOCKS, (value >> shift) & 0xffff_ffffn, 32);
    }
  }
  return match(IPV6_BLOCKS, value, 128);
}

/**
 * What a host name as typed in a base URL says before any resolution:
 * - `address`: an IP address, with its class;
 * - `loopback_name`: `localhost` or a name under `.localhost`, which always mean this machine
 *   (RFC 6761 §6.3);
 * - `metadata_name`: a name that cloud providers give their metadata service
 *   (`metadata.google.internal`, `instance-data`, …);
 * - `name`: any other name, whose addresses are only known when connecting.
 */
export type HostClass =
  | { kind: 'address'; addressClass: AddressClass }
  | { kind: 'loopback_name' }
  | { kind: 'metadata_name' }
  | { kind: 'name' };

const METADATA_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** Classifies a URL's `hostname` (IPv6 in brackets or not, any case, with or without a final dot). */
export function classifyHost(hostname: string): HostClass {
  const addressClass = classifyAddress(hostname);
  if (addressClass !== undefined) return { kind: 'address', addressClass };
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return { kind: 'loopback_name' };
  if (METADATA_NAMES.has(name)) return { kind: 'metadata_name' };
  return { kind: 'name' };
}

/** The owner's choice for one credential ([SEC-8]). */
export interface DestinationPolicy {
  /** "This key's provider is on my private network": private addresses are allowed for it. */
  privateNetworkAllowed: boolean;
}

/**
 * Why a provider base URL or a connected address is refused:
 * - `invalid_url`: not an absolute URL;
 * - `unsupported_scheme`: neither `https` nor `http`;
 * - `credentials_in_url`: a user name or password in the URL;
 * - `cleartext`: `http` to a host that is not a loopback name or address ([SEC-7]);
 * - `forbidden_address`: link-local, metadata, unspecified, broadcast or multicast ([SEC-8]);
 * - `private_address`: a private (or, for a name that is not a loopback name, loopback) address
 *   without the owner's choice for this key ([SEC-8]).
 */
export type DestinationProblem =
  | 'invalid_url'
  | 'unsupported_scheme'
  | 'credentials_in_url'
  | 'cleartext'
  | 'forbidden_address'
  | 'private_address';

/** Whether a provider key may go to a base URL or an address, and if not, what the owner should fix. */
export type DestinationVerdict =
  | { ok: true; host: HostClass }
  | { ok: false; problem: DestinationProblem; message: string };

const CLASS_NAMES: Readonly<Record<AddressClass, string>> = {
  loopback: 'a loopback address',
  private: 'a private-network address',
  link_local: 'a link-local address',
  metadata: 'a cloud metadata address',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  public: 'a public address',
};

/**
 * Checks a provider base URL as the owner typed it, before any name is resolved ([SEC-7],
 * [SEC-8]): `https`, or `http` only to a loopback name or address; no credentials in it; never a
 * link-local, metadata, unspecified, broadcast or multicast address or a metadata name; a private
 * address only when `policy.privateNetworkAllowed`. A name is checked again, address by address,
 * when the gateway connects ({@link checkConnectedAddress}).
 *
 * @example
 * ```ts
 * checkProviderBaseUrl('http://192.168.1.20/v1', { privateNetworkAllowed: true });
 * // { ok: false, problem: 'cleartext', message: 'The base URL uses http:// …' }
 * ```
 */
export function checkProviderBaseUrl(baseUrl: string, policy: DestinationPolicy): DestinationVerdict {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return refused('invalid_url', 'The base URL is not a valid absolute URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return refused('unsupported_scheme', 'The base URL must start with https://.');
  }
  if (url.username !== '' || url.password !== '') {
    return refused(
      'credentials_in_url',
      'The base URL must not contain a user name or password; the key is sent in a header.',
    );
  }
  const host = classifyHost(url.hostname);
  // A host the key never goes to is named as such, before any advice about https.
  if (host.kind === 'metadata_name') return forbidden(url.hostname, 'metadata');
  if (host.kind === 'address' && FORBIDDEN_ADDRESS_CLASSES.has(host.addressClass)) {
    return forbidden(url.hostname, host.addressClass);
  }
  const loopback =
    host.kind === 'loopback_name' || (host.kind === 'address' && host.addressClass === 'loopback');
  if (url.protocol === 'http:' && !loopback) {
    return refused(
      'cleartext',
      `The base URL uses http:// for ${url.hostname}, which would send the key unencrypted; ` +
        'use https:// (http:// is allowed only for localhost and loopback addresses).',
    );
  }
  if (host.kind === 'address') {
    const verdict = checkAddressClass(url.hostname, host.addressClass, loopback, policy);
    if (!verdict.ok) return verdict;
  }
  return { ok: true, host };
}

/**
 * Checks an address the gateway is about to connect to for a base URL whose host is `typed`
 * ([SEC-8]). A loopback name must lead to loopback addresses only. Any other name may lead to
 * public addresses, and to private or loopback ones only when `policy.privateNetworkAllowed`:
 * a public-looking name that resolves into the owner's network is treated as that network.
 */
export function checkConnectedAddress(
  address: string,
  typed: HostClass,
  policy: DestinationPolicy,
): DestinationVerdict {
  const addressClass = classifyAddress(address);
  if (addressClass === undefined) return refused('invalid_url', `${address} is not an IP address.`);
  if (typed.kind === 'loopback_name' && addressClass !== 'loopback') {
    return refused(
      'forbidden_address',
      `A loopback name resolved to ${address}, which is not a loopback address.`,
    );
  }
  return checkAddressClass(address, addressClass, typed.kind === 'loopback_name', policy);
}

function checkAddressClass(
  where: string,
  addressClass: AddressClass,
  loopbackTyped: boolean,
  policy: DestinationPolicy,
): DestinationVerdict {
  if (FORBIDDEN_ADDRESS_CLASSES.has(addressClass)) return forbidden(where, addressClass);
  if (addressClass === 'loopback' && loopbackTyped) return { ok: true, host: { kind: 'loopback_name' } };
  if ((addressClass === 'private' || addressClass === 'loopback') && !policy.privateNetworkAllowed) {
    return refused(
      'private_address',
      `${where} is ${CLASS_NAMES[addressClass]}; the key is sent there only if you tick ` +
        '"This key\'s provider is on my private network" for it.',
    );
  }
  return { ok: true, host: { kind: 'address', addressClass } };
}

function forbidden(where: string, addressClass: AddressClass): DestinationVerdict {
  return refused(
    'forbidden_address',
    `${where} is ${CLASS_NAMES[addressClass]}; a provider key is never sent there. Use the provider's public https:// URL.`,
  );
}

function refused(problem: DestinationProblem, message: string): DestinationVerdict {
  return { ok: false, problem, message };
}

function match(blocks: readonly Block[], value: bigint, width: number): AddressClass {
  for (const candidate of blocks) if (inBlock(candidate, value, width)) return candidate.addressClass;
  return 'public';
}

function inBlock(candidate: Block, value: bigint, width: number): boolean {
  const shift = BigInt(width - candidate.prefix);
  return value >> shift === candidate.network >> shift;
}

function ipv4Value(address: string): bigint | undefined {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255))
    return undefined;
  return parts.reduce((value, part) => (value << 8n) | BigInt(part), 0n);
}

function ipv6Value(address: string): bigint | undefined {
  let canonical: string;
  try {
    // The URL parser writes an IPv6 address in its canonical form: hex groups, no dotted quad.
    canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const [head = '', tail] = canonical.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  if (groups.length !== 8) return undefined;
  return groups.reduce((value, group) => (value << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}
