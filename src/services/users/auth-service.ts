/**
 * Turns a bearer token into a Viewer. With AUTH_SECRET, tokens are HS256 JWTs
 * (claims: sub, preferred_username or name, permission_level, exp). Without
 * it the server is in single-user local mode and every request is the local
 * admin. Services never see tokens, only Viewers.
 */
import { errors as joseErrors, SignJWT } from 'jose';
import { UnauthenticatedError } from '../errors.js';
import { TokenVerifier, type VerifiedClaims } from './token-verifier.js';
import type { UserService } from './user-service.js';
import { ADMIN_LEVEL, type Viewer } from './viewer.js';

export const LOCAL_USER = { subject: 'local', username: 'local', permissionLevel: ADMIN_LEVEL } as const;

export class AuthService {
  private readonly tokens?: TokenVerifier;

  constructor(
    private readonly users: UserService,
    authSecret: string | undefined,
  ) {
    this.tokens = authSecret ? new TokenVerifier(new TextEncoder().encode(authSecret)) : undefined;
  }

  get localMode(): boolean {
    return !this.tokens;
  }

  /** Reads `Bearer <jwt>` from a header or connection param value. */
  static bearer(value: unknown): string | undefined {
    if (typeof value !== 'string') return undefined;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
    return match ? match[1] : undefined;
  }

  /**
   * The viewer for a raw `Authorization` value: null when there is none,
   * UnauthenticatedError when it is malformed, badly signed or expired.
   */
  async authenticate(authorization: unknown): Promise<Viewer | null> {
    if (!this.tokens) return this.toViewer(LOCAL_USER);
    if (authorization === undefined || authorization === null || authorization === '') return null;
    const token = AuthService.bearer(authorization);
    if (!token) throw new UnauthenticatedError('The authorization must be "Bearer <token>".');
    let payload: VerifiedClaims;
    try {
      payload = await this.tokens.verify(token);
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('The token has expired.');
      throw new UnauthenticatedError('The token is not valid.');
    }
    // RFC 7519 makes `sub` a string; a numeric 123 must not become the user "123".
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw new UnauthenticatedError('The token is not valid: sub must be a non-empty string.');
    }
    const subject = payload.sub;
    const level = payload.permission_level ?? 1;
    if (typeof level !== 'number' || !Number.isInteger(level) || level < 0) {
      throw new UnauthenticatedError('The token is not valid: permission_level must be a whole number.');
    }
    // The first usable name: an empty or non-string preferred_username falls back to name, then sub.
    const name = [payload.preferred_username, payload.name].find((v): v is string => typeof v === 'string' && v.trim() !== '');
    const viewer = await this.toViewer({
      subject,
      username: name ? name.slice(0, 200) : subject,
      permissionLevel: level,
    });
    return { ...viewer, expiresAt: payload.exp * 1000 };
  }

  private async toViewer(claims: { subject: string; username: string; permissionLevel: number }): Promise<Viewer> {
    const user = await this.users.ensure(claims);
    return { id: user.id, subject: user.subject, username: user.username, permissionLevel: user.permissionLevel };
  }
}

/** Mints an HS256 token (development tool and tests). */
export async function mintToken(
  secret: string,
  claims: { sub: string; name?: string; permissionLevel?: number; expiresIn?: string | number },
): Promise<string> {
  return new SignJWT({
    preferred_username: claims.name ?? claims.sub,
    permission_level: claims.permissionLevel ?? 1,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(claims.expiresIn ?? '24h')
    .sign(new TextEncoder().encode(secret));
}
