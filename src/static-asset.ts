/**
 * One static response, compressed and cached: the body is hashed into a
 * strong ETag and compressed with brotli and gzip once, then each request
 * gets the encoding its Accept-Encoding prefers (identity otherwise), or
 * 304 Not Modified when its If-None-Match names the ETag. Knows nothing of
 * files or routes: callers build assets and decide which one a request gets.
 */
import crypto from 'node:crypto';
import type http from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

export type ContentEncoding = 'br' | 'gzip' | 'identity';

export interface StaticAsset {
  readonly etag: string;
  /** Answers the request (GET or HEAD) with this asset. */
  send(req: http.IncomingMessage, res: http.ServerResponse): void;
}

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/** Below this many bytes compression saves less than the headers it costs. */
const MIN_COMPRESS_BYTES = 1024;

/**
 * Compresses `body` (asynchronously, off the event loop) and resolves with the
 * asset. Brotli at quality 5 and gzip at level 6: measured on the 9 MB
 * GraphiQL page, quality 11 takes ~50 s for 10% less than quality 5 (~1 s).
 */
export async function staticAsset(body: Buffer, headers: Record<string, string>): Promise<StaticAsset> {
  const etag = `"${crypto.createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
  const bodies: Partial<Record<ContentEncoding, Buffer>> = { identity: body };
  if (body.length >= MIN_COMPRESS_BYTES) {
    const [br, gz] = await Promise.all([
      brotli(body, {
        params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length },
      }),
      gzip(body, { level: 6 }),
    ]);
    // Keep an encoding only where it is smaller (an already-compressed PNG may not be).
    if (br.length < body.length) bodies.br = br;
    if (gz.length < body.length) bodies.gzip = gz;
  }
  const compressible = bodies.br !== undefined || bodies.gzip !== undefined;
  return {
    etag,
    send(req, res) {
      const common: Record<string, string> = { ...headers, etag };
      if (compressible) common.vary = 'Accept-Encoding';
      if (matchesEtag(req.headers['if-none-match'], etag)) {
        res.writeHead(304, common);
        res.end();
        return;
      }
      const encoding = negotiate(req.headers['accept-encoding'], bodies);
      const chosen = bodies[encoding]!;
      res.writeHead(200, {
        ...common,
        ...(encoding === 'identity' ? {} : { 'content-encoding': encoding }),
        'content-length': String(chosen.length),
      });
      res.end(req.method === 'HEAD' ? undefined : chosen);
    },
  };
}

/** If-None-Match: `*` or a list of (possibly weak) tags; weak comparison, as RFC 9110 asks for GET. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** The encoding we have that the client prefers (q > 0), identity when it accepts neither. */
export function negotiate(header: string | undefined, available: Partial<Record<ContentEncoding, Buffer>>): ContentEncoding {
  if (!header) return 'identity';
  const accepted = new Map<string, number>();
  for (const part of header.split(',')) {
    const [rawName, ...params] = part.toLowerCase().split(';');
    const name = rawName?.trim();
    if (!name) continue;
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const quality = (name: ContentEncoding) => accepted.get(name) ?? accepted.get('*') ?? 0;
  // The highest q the client gives to an encoding we have; on a tie, br before gzip.
  let best: ContentEncoding = 'identity';
  let bestQ = 0;
  for (const encoding of ['br', 'gzip'] as const) {
    const q = quality(encoding);
    if (available[encoding] && q > bestQ) [best, bestQ] = [encoding, q];
  }
  return best;
}
