/**
 * Serves the chat page (built by `npm run build:web` into web/dist) at `/`:
 * index.html, revalidated on every load (no-cache, ETag, 304), and its
 * content-hashed assets under /assets/, cached for a year; all compressed
 * (src/static-asset.ts). Without a build, `/` answers a short page saying
 * how to make one. Everything else is left to the caller (returns false).
 */
import fs from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { staticAsset, type StaticAsset } from './static-asset.js';

export const WEB_DIST = fileURLToPath(new URL('../web/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>chat-run-server</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>chat-run-server</h1>
<p>The chat page is not built. Run <code>npm run build:web</code> and reload.</p>
<p>The GraphQL API and GraphiQL are at <a href="/graphql">/graphql</a>.</p>
</body></html>
`;

/** A request handler for the page; answers true when it handled the request. */
export function webPage(dist = WEB_DIST) {
  const files = fileAssets();
  let notBuilt: Promise<StaticAsset> | undefined;
  return (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const pathname = (req.url ?? '/').split('?')[0]!;
    if (pathname === '/' || pathname === '/index.html') {
      const page = files.get(path.join(dist, 'index.html'), { 'cache-control': 'no-cache', ...PAGE_HEADERS });
      void send(req, res, page, () =>
        (notBuilt ??= staticAsset(Buffer.from(NOT_BUILT), { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' })),
      );
      return true;
    }
    // Vite names assets by content hash: /assets/<name>-<hash>.<ext>, no sub-folders.
    const asset = /^\/assets\/([\w.-]+)$/.exec(pathname)?.[1];
    if (asset && !asset.startsWith('.')) {
      const file = files.get(path.join(dist, 'assets', asset), {
        'cache-control': 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
      });
      void send(req, res, file);
      return true;
    }
    return false;
  };
}

/**
 * Files as compressed assets, prepared on first request and kept while the
 * file's mtime and size stay the same (a rebuild of web/dist is picked up
 * without a restart). Only files that exist are kept, so the map holds at
 * most what is in web/dist.
 */
function fileAssets() {
  const cache = new Map<string, { stamp: string; asset: Promise<StaticAsset> }>();
  return {
    async get(file: string, headers: Record<string, string>): Promise<StaticAsset | undefined> {
      const stat = await fs.stat(file).catch(() => undefined);
      if (!stat?.isFile()) return undefined;
      const stamp = `${stat.mtimeMs}:${stat.size}`;
      const cached = cache.get(file);
      if (cached?.stamp === stamp) return cached.asset;
      const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
      const entry = { stamp, asset: fs.readFile(file).then((body) => staticAsset(body, { 'content-type': type, ...headers })) };
      cache.set(file, entry);
      entry.asset.catch(() => cache.get(file) === entry && cache.delete(file));
      return entry.asset;
    },
  };
}

async function send(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  found: Promise<StaticAsset | undefined>,
  fallback?: () => Promise<StaticAsset>,
) {
  const asset = (await found.catch(() => undefined)) ?? (await fallback?.());
  if (asset) return asset.send(req, res);
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(req.method === 'HEAD' ? undefined : 'not found\n');
}
