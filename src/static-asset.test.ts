import { describe, expect, it } from 'vitest';
import { negotiate } from './static-asset.js';

describe('negotiate', () => {
  const both = { identity: Buffer.from('x'), br: Buffer.from('b'), gzip: Buffer.from('g') };
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip, deflate, br', 'br'],
    ['gzip', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['gzip;q=1, br;q=0.5', 'gzip'],
    ['*', 'br'],
    ['*;q=0, identity', 'identity'],
    ['deflate', 'identity'],
    ['GZIP ; q=0.8', 'gzip'],
  ])('%j → %s', (header, expected) => {
    expect(negotiate(header, both)).toBe(expected);
  });
  it('offers only the encodings it has', () => {
    expect(negotiate('br, gzip', { identity: Buffer.from('x'), gzip: Buffer.from('g') })).toBe('gzip');
    expect(negotiate('br, gzip', { identity: Buffer.from('x') })).toBe('identity');
  });
});
