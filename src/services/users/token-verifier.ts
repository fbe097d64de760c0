/**
 * HS256 verification with the key imported once, and each token's verified
 * claims remembered until the token expires. A page sends every request
 * with the same token, and verifying it was most of a small request: jose
 * imports a raw secret into WebCrypto again on every call (0.86 ms of the
 * 2.9 ms that `{ __typename }` took over HTTP). A remembered token is the
 * same string, signature included, so an altered token never matches one;
 * its expiry is checked on every use, as jose checks it.
 */
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';

/** Verified claims; `exp` is required, so it is always there. */
export type VerifiedClaims = JWTPayload & { exp: number };

export class TokenVerifier {
  private readonly key: Promise<CryptoKey>;
  private readonly verified = new Map<string, VerifiedClaims>();

  constructor(
    secret: Uint8Array<ArrayBuffer>,
    /** Tokens remembered at most; the oldest are forgotten first. */
    private readonly maxTokens = 10_000,
  ) {
    this.key = crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  }

  /** The token's claims; throws jose's errors (JWTExpired for an expired one). */
  async verify(token: string): Promise<VerifiedClaims> {
    const known = this.verified.get(token);
    if (known) {
      if (known.exp * 1000 > Date.now()) return known;
      this.verified.delete(token);
      throw new joseErrors.JWTExpired('"exp" claim timestamp check failed', known, 'exp', 'check_failed');
    }
    const { payload } = await jwtVerify(token, await this.key, { algorithms: ['HS256'], requiredClaims: ['sub', 'exp'] });
    const claims = payload as VerifiedClaims;
    if (this.verified.size >= this.maxTokens) {
      const oldest = this.verified.keys().next();
      if (!oldest.done) this.verified.delete(oldest.value);
    }
    this.verified.set(token, claims);
    return claims;
  }
}
