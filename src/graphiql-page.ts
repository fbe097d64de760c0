/**
 * GraphiQL at the GraphQL endpoint for browsers (GET with Accept: text/html,
 * as yoga decides), from the package, not a CDN. The page is ~9 MB of HTML:
 * it is rendered and compressed once, on the first request (at start-up it
 * would cost every server ~1 s of CPU for a page most never serve), then
 * served with brotli or gzip and an ETag (no-cache: revalidated, 304). The
 * module itself (the page's HTML inside) is loaded then too: importing it
 * at start-up costs every start a few hundred ms.
 */
import type http from 'node:http';
import { staticAsset, type StaticAsset } from './static-asset.js';

/** The README's walk-through starts here: GraphiQL opens with it in the editor. */
export const FIRST_OPERATION = `mutation {
  sendMessage(input: { text: "What time is it?", enabledTools: ["current_time"] }) {
    run { id status }
    conversation { id title }
  }
}`;

export function graphiqlPage(options: { endpoint: string; title: string }) {
  let page: Promise<StaticAsset> | undefined;
  return (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    if (!req.headers.accept?.includes('text/html')) return false;
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname !== options.endpoint && pathname !== `${options.endpoint}/`) return false;
    // Subscriptions go over the WebSocket on the same URL.
    page ??= import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) =>
      staticAsset(Buffer.from(renderGraphiQL({ subscriptionsProtocol: 'WS', title: options.title, defaultQuery: FIRST_OPERATION })), {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
      }),
    );
    page.then(
      (asset) => asset.send(req, res),
      () => {
        page = undefined;
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('GraphiQL failed to render\n');
      },
    );
    return true;
  };
}
