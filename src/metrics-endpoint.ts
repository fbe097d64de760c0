/**
 * GET /metrics: Prometheus text. With METRICS_TOKEN it needs
 * `Authorization: Bearer <METRICS_TOKEN>`; without one it is open in
 * development and absent (404, left to the caller) in production, where
 * anyone could otherwise read it.
 */
import crypto from 'node:crypto';
import type http from 'node:http';
import type { Registry } from 'prom-client';

/** Who may read /metrics: anyone, holders of METRICS_TOKEN, or nobody (404). */
export type MetricsAccess = 'open' | 'token' | 'off';

export function metricsAccess(config: { metricsToken?: string; production: boolean }): MetricsAccess {
  if (config.metricsToken) return 'token';
  return config.production ? 'off' : 'open';
}

export function metricsEndpoint(registry: Registry, config: { metricsToken?: string; production: boolean }) {
  const access = metricsAccess(config);
  const expected = config.metricsToken ? Buffer.from(`Bearer ${config.metricsToken}`) : undefined;
  return (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    if (access === 'off' || req.url !== '/metrics' || req.method !== 'GET') return false;
    void (async () => {
      if (expected && !sameBytes(req.headers.authorization, expected)) {
        res.writeHead(401, { 'content-type': 'text/plain' });
        res.end('metrics need Authorization: Bearer <METRICS_TOKEN>\n');
        return;
      }
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(await registry.metrics());
    })();
    return true;
  };
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
function sameBytes(given: string | undefined, expected: Buffer): boolean {
  const bytes = Buffer.from(given ?? '');
  return bytes.length === expected.length && crypto.timingSafeEqual(bytes, expected);
}
