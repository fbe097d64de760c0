/**
 * The yoga instance: the schema, the context, and the plugins in the order
 * they must run. HTTP requests reach it from src/server.ts, WebSocket
 * operations through its envelop from src/ws-server.ts.
 */
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { maskError } from './plugins/mask-error.js';
import { useHealth, type HealthOptions } from './plugins/use-health.js';
import { useIntrospectionPolicy } from './plugins/use-introspection-policy.js';
import { useMetrics } from './plugins/use-metrics.js';
import { useOperationLog } from './plugins/use-operation-log.js';
import { useQueryLimits } from './plugins/use-query-limits.js';
import { useRequestParams } from './plugins/use-request-params.js';
import { useSubscriptionExpiry } from './plugins/use-subscription-expiry.js';
import { useVariableErrors } from './plugins/use-variable-errors.js';
import { createContextFactory } from './request-context.js';
import type { GraphQLContext } from './resolvers/context.js';
import { buildSchema } from './schema/index.js';
import type { Services } from './services/index.js';

export type Yoga = YogaServerInstance<Record<string, unknown>, GraphQLContext>;

export interface YogaOptions {
  config: Config;
  services: Services;
  log: Logger;
  health: HealthOptions;
  /** Plugins that the app itself reads (the open subscriptions, for stop). */
  plugins?: Plugin[];
}

/**
 * Yoga's liveness check answers 200 whatever the database does; it moves
 * here so that /health is the readiness check (src/plugins/use-health.ts).
 */
export const LIVENESS_ENDPOINT = '/live';

export function createYogaServer({ config, services, log, health, plugins = [] }: YogaOptions): Yoga {
  return createYoga<Record<string, unknown>, GraphQLContext>({
    schema: buildSchema(),
    context: createContextFactory({ services, log, config }),
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: LIVENESS_ENDPOINT,
    landingPage: false,
    // GraphiQL is served compressed and cached by src/graphiql-page.ts, when config.graphiql is on.
    graphiql: false,
    maskedErrors: { maskError: (error, message) => maskError(error, message, log) },
    cors: corsOptions(config),
    // useVariableErrors before yoga's masking, which logs the error it is given.
    plugins: [
      useHealth(health),
      useMetrics(services.metrics.registry, config),
      useVariableErrors(),
      useQueryLimits(config.limits),
      useOperationLog(),
      useRequestParams(),
      useSubscriptionExpiry(),
      useIntrospectionPolicy(config.introspection),
      ...plugins,
    ],
    logging: {
      debug: (...args) => log.debug({ yoga: args }, 'yoga'),
      info: (...args) => log.info({ yoga: args }, 'yoga'),
      warn: (...args) => log.warn({ yoga: args }, 'yoga'),
      error: (...args) => log.error({ yoga: args }, 'yoga'),
    },
  });
}

/**
 * CORS: any origin in local mode, otherwise only the listed ones. A refused
 * origin gets no CORS headers at all (the plugin would answer `null`, which
 * sandboxed and file:// pages send as their origin).
 */
function corsOptions(config: Config) {
  const allowed = config.corsOrigins;
  if (allowed === '*') return { origin: '*' };
  return (request: Request) => {
    const origin = request.headers.get('origin');
    return origin && allowed.includes(origin) ? { origin: [origin], credentials: true } : (false as const);
  };
}
