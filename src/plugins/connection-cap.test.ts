import { describe, expect, it } from 'vitest';
import { ConnectionCap } from './connection-cap.js';

describe('ConnectionCap', () => {
  it('refuses a user beyond the cap, counts users apart, and frees a slot on release', () => {
    const cap = new ConnectionCap(2);
    expect(cap.tryAcquire('a')).toBe(true);
    expect(cap.tryAcquire('a')).toBe(true);
    expect(cap.tryAcquire('a')).toBe(false);
    expect(cap.tryAcquire('b')).toBe(true);
    cap.release('a');
    expect(cap.count('a')).toBe(1);
    expect(cap.tryAcquire('a')).toBe(true);
    cap.release('a');
    cap.release('a');
    expect(cap.count('a')).toBe(0);
    // A stray release never goes below zero.
    cap.release('a');
    expect(cap.count('a')).toBe(0);
  });
});
