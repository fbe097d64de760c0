/**
 * GET /metrics: Prometheus text. With METRICS_TOKEN it needs
 * `Authorization: Bearer <METRICS_TOKEN>`; without one it is open in
 * development and absent (yoga's 404) in production, where anyone could
 * otherwise read it.
 */
import crypto from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import type { Registry } from 'prom-client';

/** Who may read /metrics: anyone, holders of METRICS_TOKEN, or nobody (404). */
export type MetricsAccess = 'open' | 'token' | 'off';

export interface MetricsAccessConfig {
  metricsToken?: string;
  production: boolean;
}

export function metricsAccess(config: MetricsAccessConfig): MetricsAccess {
  if (config.metricsToken) return 'token';
  return config.production ? 'off' : 'open';
}

export function useMetrics(registry: Registry, config: MetricsAccessConfig): Plugin {
  if (metricsAccess(config) === 'off') return {};
  const expected = config.metricsToken ? Buffer.from(`Bearer ${config.metricsToken}`) : undefined;
  return {
    async onRequest({ request, url, fetchAPI, endResponse }) {
      // Exactly `GET /metrics`: with a query string it is an unknown path, as it always was.
      if (url.pathname !== '/metrics' || url.search !== '' || request.method !== 'GET') return;
      if (expected && !sameBytes(request.headers.get('authorization'), expected)) {
        endResponse(
          new fetchAPI.Response('metrics need Authorization: Bearer <METRICS_TOKEN>\n', {
            status: 401,
            headers: { 'content-type': 'text/plain' },
          }),
        );
        return;
      }
      endResponse(new fetchAPI.Response(await registry.metrics(), { headers: { 'content-type': registry.contentType } }));
    },
  };
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
function sameBytes(given: string | null, expected: Buffer): boolean {
  const bytes = Buffer.from(given ?? '');
  return bytes.length === expected.length && crypto.timingSafeEqual(bytes, expected);
}
