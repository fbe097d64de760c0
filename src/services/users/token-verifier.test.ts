import { errors as joseErrors } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mintToken } from './auth-service.js';
import { TokenVerifier } from './token-verifier.js';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';
const verifier = (maxTokens?: number) => new TokenVerifier(new TextEncoder().encode(SECRET), maxTokens);

afterEach(() => vi.useRealTimers());

describe('TokenVerifier', () => {
  it('verifies a token once and remembers its claims', async () => {
    const tokens = verifier();
    const token = await mintToken(SECRET, { sub: 'ada' });
    const first = await tokens.verify(token);
    expect(first.sub).toBe('ada');
    // The same object: the second use did not verify again.
    expect(await tokens.verify(token)).toBe(first);
  });

  it('refuses a remembered token once it has expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-01T00:00:00Z'));
    const tokens = verifier();
    const token = await mintToken(SECRET, { sub: 'ada', expiresIn: '2s' });
    await tokens.verify(token);
    vi.setSystemTime(new Date('2026-12-01T00:00:01.500Z'));
    await expect(tokens.verify(token)).resolves.toMatchObject({ sub: 'ada' });
    vi.setSystemTime(new Date('2026-12-01T00:00:02Z'));
    await expect(tokens.verify(token)).rejects.toBeInstanceOf(joseErrors.JWTExpired);
    await expect(tokens.verify(token)).rejects.toBeInstanceOf(joseErrors.JWTExpired);
  });

  it('refuses an altered or foreign token while the original is remembered', async () => {
    const tokens = verifier();
    const token = await mintToken(SECRET, { sub: 'ada' });
    await tokens.verify(token);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    // A character in the middle: every bit of it is signature (the last one holds padding bits too).
    const flipped = `${signature.slice(0, 5)}${signature[5] === 'A' ? 'B' : 'A'}${signature.slice(6)}`;
    await expect(tokens.verify(`${header}.${payload}.${flipped}`)).rejects.toBeInstanceOf(joseErrors.JWSSignatureVerificationFailed);
    const foreign = await mintToken('another-secret-of-at-least-thirty-two-chars', { sub: 'ada' });
    await expect(tokens.verify(foreign)).rejects.toBeInstanceOf(joseErrors.JWSSignatureVerificationFailed);
  });

  it('forgets the oldest token beyond its bound, and verifies it again when it comes back', async () => {
    const tokens = verifier(1);
    const a = await mintToken(SECRET, { sub: 'a' });
    const b = await mintToken(SECRET, { sub: 'b' });
    const first = await tokens.verify(a);
    await tokens.verify(b);
    const again = await tokens.verify(a);
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
  });
});
