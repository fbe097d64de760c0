/**
 * GET /health through yoga's readiness check: 503 `starting` until the app
 * is ready, then 200 `ok` while the database answers and 503 `database
 * unreachable` while it does not (a load balancer takes the instance out).
 * Yoga's own liveness check, which answers 200 whatever the database does,
 * is moved off this path by `createYoga({ healthCheckEndpoint })`.
 */
import { useReadinessCheck, type Plugin } from 'graphql-yoga';
import type { DatabaseHealth } from '../services/database/database-health.js';

export const HEALTH_ENDPOINT = '/health';

type HealthStatus = 'ok' | 'starting' | 'database unreachable';

export interface HealthOptions {
  /** False until the app has started (and again once it stops). */
  ready: () => boolean;
  databaseUp: DatabaseHealth;
}

export function useHealth({ ready, databaseUp }: HealthOptions): Plugin {
  return useReadinessCheck({
    endpoint: HEALTH_ENDPOINT,
    async check({ fetchAPI }) {
      const status: HealthStatus = !ready() ? 'starting' : (await databaseUp()) ? 'ok' : 'database unreachable';
      return new fetchAPI.Response(JSON.stringify({ status }), {
        status: status === 'ok' ? 200 : 503,
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      });
    },
  });
}
