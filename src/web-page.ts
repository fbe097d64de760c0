/**
 * Serves the chat page (built by `npm run build:web` into web/dist) at `/`:
 * index.html, never cached, and its content-hashed assets under /assets/,
 * cached for a year. Without a build, `/` answers a short page saying how to
 * make one. Everything else is left to the caller (returns false).
 */
import fs from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
  return (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const pathname = (req.url ?? '/').split('?')[0]!;
    if (pathname === '/' || pathname === '/index.html') {
      void send(req, res, path.join(dist, 'index.html'), { 'cache-control': 'no-cache', ...PAGE_HEADERS }, NOT_BUILT);
      return true;
    }
    // Vite names assets by content hash: /assets/<name>-<hash>.<ext>, no sub-folders.
    const asset = /^\/assets\/([\w.-]+)$/.exec(pathname)?.[1];
    if (asset && !asset.startsWith('.')) {
      void send(req, res, path.join(dist, 'assets', asset), {
        'cache-control': 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
      });
      return true;
    }
    return false;
  };
}

async function send(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  file: string,
  headers: Record<string, string>,
  fallback?: string,
) {
  let body: Buffer;
  try {
    body = await fs.readFile(file);
  } catch {
    if (fallback !== undefined) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : fallback);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : 'not found\n');
    }
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': body.length,
    ...headers,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
