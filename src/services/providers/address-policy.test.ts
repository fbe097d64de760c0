import { describe, expect, it } from 'vitest';
import { embeddedIpv4, isPrivateAddress, privateAddressOf } from './address-policy.js';

/** Each IPv6 form that embeds an IPv4 address, built around that address (dotted and hex). */
const forms = (dotted: string, hex: string) => [
  `::${dotted}`,
  `::${hex}`,
  `::ffff:${dotted}`,
  `::ffff:${hex}`,
  `::ffff:0:${dotted}`,
  `::ffff:0:${hex}`,
  `64:ff9b::${dotted}`,
  `64:ff9b::${hex}`,
  `64:ff9b:1::${dotted}`,
  `64:ff9b:1::${hex}`,
];

describe('address policy', () => {
  it('refuses private IPv4 addresses and accepts public ones', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['8.8.8.8', '93.184.216.34', '203.0.113.30']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('refuses loopback, unspecified, unique-local, link-local, site-local and multicast IPv6', () => {
    for (const a of ['::1', '::', 'fd00::1', 'fc00::1', 'fe80::1', 'fe80::1%eth0', 'fec0::1', 'feff::1', 'ff02::1']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['2606:4700:4700::1111', '2001:4860:4860::8888']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('reads the IPv4 address embedded in each IPv6 form, dotted or in hex', () => {
    for (const a of forms('127.0.0.1', '7f00:1')) expect(embeddedIpv4(a), a).toBe('127.0.0.1');
    expect(embeddedIpv4('2002:7f00:1::')).toBe('127.0.0.1');
    expect(embeddedIpv4('2002:c0a8:101:1::5')).toBe('192.168.1.1');
    // Teredo: the client's address is stored inverted.
    expect(embeddedIpv4('2001:0:4136:e378:8000:63bf:80ff:fffe')).toBe('127.0.0.1');
    expect(embeddedIpv4('2606:4700:4700::1111')).toBeUndefined();
  });

  it('refuses every form that embeds a private IPv4 address', () => {
    const privates: [string, string][] = [
      ['127.0.0.1', '7f00:1'],
      ['10.0.0.1', 'a00:1'],
      ['192.168.1.1', 'c0a8:101'],
      ['169.254.169.254', 'a9fe:a9fe'],
      ['172.16.5.4', 'ac10:504'],
    ];
    for (const [dotted, hex] of privates) {
      for (const a of forms(dotted, hex)) expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['64:ff9b::7f00:1', '2002:7f00:1::', '2002:a00:1::1', '::7f00:1', '::ffff:0:7f00:1', '64:ff9b:1::a00:1']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
  });

  it('lets a translated public IPv4 address through, and refuses unreadable local-use NAT64 layouts', () => {
    for (const a of ['64:ff9b::808:808', '64:ff9b::8.8.8.8', '64:ff9b:1::808:808', '2002:808:808::1', '::ffff:8.8.8.8']) {
      expect(isPrivateAddress(a), a).toBe(false);
    }
    // 64:ff9b:1::/48 with a /48 or /64 layout: where the IPv4 address sits is the operator's choice.
    expect(isPrivateAddress('64:ff9b:1:7f00:0:100::')).toBe(true);
  });

  it('checks address literals in URLs as the URL parser normalizes them', async () => {
    for (const url of ['http://[64:ff9b::127.0.0.1]/v1', 'http://[2002:7f00:1::]/', 'http://[::127.0.0.1]/', 'http://[::ffff:0:127.0.0.1]/', 'http://[fec0::1]/']) {
      expect(await privateAddressOf(new URL(url)), url).toBeDefined();
    }
    expect(await privateAddressOf(new URL('http://[64:ff9b::808:808]/v1'))).toBeUndefined();
  });
});
