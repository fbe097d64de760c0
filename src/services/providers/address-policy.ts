/**
 * SSRF guard for provider base URLs. A provider's base URL is where the
 * server sends requests, so a non-admin's private provider must not reach
 * loopback, link-local (cloud metadata) or private networks unless the
 * operator allows it (PROVIDER_ALLOW_PRIVATE).
 */
import dns from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import net from 'node:net';
import { BadUserInputError } from '../errors.js';

const blocked = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(prefix, bits, 'ipv4');
}
for (const [prefix, bits] of [
  ['::', 128],
  ['::1', 128],
  // NAT64 local-use prefix (RFC 8215): only its /96 layout can be read (below); any other reaches
  // whatever the operator's translator maps it to.
  ['64:ff9b:1::', 48],
  ['fc00::', 7],
  ['fe80::', 10],
  // Site-local (deprecated, RFC 3879) but still routed inside some networks.
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(prefix, bits, 'ipv6');
}

/** The eight 16-bit words of a valid IPv6 address (zone id dropped, a dotted IPv4 tail read). */
function ipv6Words(address: string): number[] {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const words = (part: string | undefined) => (part ? part.split(':').map((w) => parseInt(w, 16)) : []);
  const front = words(head);
  if (tail === undefined) return front;
  const back = words(tail);
  return [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
}

const ipv4Of = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;

/**
 * The IPv4 address an IPv6 address reaches through a standard translation
 * or tunnel, if it has one: IPv4-compatible `::a.b.c.d`, IPv4-mapped
 * `::ffff:a.b.c.d`, IPv4-translated `::ffff:0:a.b.c.d`, NAT64
 * `64:ff9b::/96` and the /96 layout of `64:ff9b:1::/48`, 6to4 `2002::/16`
 * and a Teredo client (`2001::/32`, its address inverted).
 */
export function embeddedIpv4(address: string): string | undefined {
  const w = ipv6Words(address) as [number, number, number, number, number, number, number, number];
  const zero = (from: number, to: number) => w.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && (w[5] === 0 || w[5] === 0xffff)) return ipv4Of(w[6], w[7]);
  if (zero(0, 4) && w[4] === 0xffff && w[5] === 0) return ipv4Of(w[6], w[7]);
  if (w[0] === 0x64 && w[1] === 0xff9b && zero(2, 6)) return ipv4Of(w[6], w[7]);
  if (w[0] === 0x64 && w[1] === 0xff9b && w[2] === 1 && zero(3, 6)) return ipv4Of(w[6], w[7]);
  if (w[0] === 0x2002) return ipv4Of(w[1], w[2]);
  if (w[0] === 0x2001 && w[1] === 0) return ipv4Of(~w[6] & 0xffff, ~w[7] & 0xffff);
  return undefined;
}

/**
 * True for loopback, link-local, private, unspecified, multicast and
 * reserved addresses, and for IPv6 addresses that reach one of those
 * through an embedded IPv4 address. Anything not an IP address is private.
 */
export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true;
  const ipv4 = embeddedIpv4(address);
  if (ipv4 !== undefined) return blocked.check(ipv4, 'ipv4');
  return blocked.check(address, 'ipv6');
}

/**
 * Resolves the URL's host and returns the first private address it reaches,
 * or undefined when every address is public. A host that does not resolve
 * counts as private: it cannot be checked.
 */
export async function privateAddressOf(url: URL): Promise<string | undefined> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (net.isIP(host)) return isPrivateAddress(host) ? host : undefined;
  try {
    const addresses = await dns.lookup(host, { all: true, verbatim: true });
    return addresses.find((a) => isPrivateAddress(a.address))?.address;
  } catch {
    return host;
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address?: string | LookupAddress[], family?: number) => void;

/**
 * A `dns.lookup` for outgoing connections that refuses private addresses: the
 * check at the moment of connecting, so a hostname that resolved publicly
 * when it was saved and privately now (DNS rebinding) is still refused.
 */
export function publicOnlyLookup(hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true, verbatim: true }).then(
    (addresses) => {
      const blockedAddress = addresses.find((a) => isPrivateAddress(a.address));
      if (blockedAddress) {
        const error: NodeJS.ErrnoException = new Error(`${hostname} resolves to a private address`);
        error.code = 'EPRIVATEADDRESS';
        callback(error);
      } else if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    },
    (error: NodeJS.ErrnoException) => callback(error),
  );
}

/**
 * Refuses a base URL that resolves to a private address, unless such
 * addresses are allowed (PROVIDER_ALLOW_PRIVATE). Checked when a non-admin
 * saves a provider; requests are checked again as they connect.
 */
export async function assertPublicBaseUrl(url: string, allowPrivateAddresses: boolean): Promise<void> {
  if (allowPrivateAddresses) return;
  const address = await privateAddressOf(new URL(url));
  if (address !== undefined) {
    throw new BadUserInputError(
      'baseUrl: resolves to a loopback, link-local or private address, which only admins may use (or the operator with PROVIDER_ALLOW_PRIVATE=true)',
    );
  }
}
