/**
 * SSRF guard for provider base URLs. A provider's base URL is where the
 * server sends requests, so a non-admin's private provider must not reach
 * loopback, link-local (cloud metadata) or private networks unless the
 * operator allows it (PROVIDER_ALLOW_PRIVATE).
 */
import dns from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import net from 'node:net';

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
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(prefix, bits, 'ipv6');
}

/** True for loopback, link-local, private, unspecified, multicast and reserved addresses. */
export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true;
  // IPv4-mapped IPv6 (::ffff:10.0.0.1) reaches the IPv4 address it embeds.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
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
