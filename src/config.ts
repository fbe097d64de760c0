/**
 * Configuration: the only module that reads `process.env`.
 *
 * Every variable is validated with zod at start-up; a bad value stops the
 * server with one line naming the variable (see `loadConfigOrExit`).
 */
import path from 'node:path';
import { z } from 'zod';
import { envSchema, OPENAI_BASE_URL, type Env } from './env-schema.js';

/** Who may run introspection queries: anyone, viewers with a token, or nobody. */
export type IntrospectionAccess = 'anonymous' | 'authenticated' | 'off';

export interface Config {
  /** NODE_ENV=production: no GraphiQL, introspection only with a token, /metrics only with METRICS_TOKEN. */
  production: boolean;
  /** Serve GraphiQL at /graphql to browsers (default: not in production). */
  graphiql: boolean;
  introspection: IntrospectionAccess;
  port: number;
  host: string;
  /** Single-user local mode: no AUTH_SECRET, every request is the local admin. */
  localMode: boolean;
  authSecret?: string;
  databaseUrl?: string;
  dataDir: string;
  redisUrl?: string;
  /** Prefix of Redis keys and channels (deployments sharing a Redis keep apart). */
  redisPrefix: string;
  encryptionKey?: Buffer;
  /** `'*'` for any origin, otherwise the allowed origins (possibly none). */
  corsOrigins: '*' | string[];
  llm: {
    /** The default provider's base URL: LLM_BASE_URL, or OpenAI's when only LLM_API_KEY is set. */
    baseUrl?: string;
    apiKey?: string;
    model?: string;
    maxRetries: number;
    stallTimeoutMs: number;
  };
  demoModel: boolean;
  /** Ask the conversation's provider for a short title after the first message (TITLE_GENERATION). */
  titleGeneration: boolean;
  providerAllowPrivate: boolean;
  flushIntervalMs: number;
  runLeaseMs: number;
  maxIterations: number;
  /** Wall-clock limit of one run once it executes; it ends TIMEOUT, its answer so far kept. */
  runMaxDurationMs: number;
  /** A WebSocket subscriber with more bytes than this queued is dropped (SUBSCRIBER_TOO_SLOW). */
  subscriberMaxBufferBytes: number;
  /** A subscriber this many live events behind is dropped (SUBSCRIBER_TOO_SLOW) instead of buffering more. */
  subscriberMaxLagEvents: number;
  limits: Limits;
  logLevel: string;
  /** When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`; unset, it is 404 in production. */
  metricsToken?: string;
}

/** Abuse limits: on by default, each with its own error code. */
export interface Limits {
  /** GraphQL documents (QUERY_TOO_COMPLEX). */
  queryDepth: number;
  queryAliases: number;
  queryTokens: number;
  queryCost: number;
  queryDirectives: number;
  /** sendMessage text length (BAD_USER_INPUT). */
  messageChars: number;
  /** QUEUED or RUNNING runs per user (RATE_LIMITED). */
  activeRunsPerUser: number;
  /** sendMessage calls per user per minute (RATE_LIMITED with retryAfterMs). */
  sendsPerMinute: number;
  /** Runs executing at once on this instance; more wait QUEUED. */
  runsInFlight: number;
  /** Time a WebSocket has to send connection_init (closed with 4408 after). */
  wsInitTimeoutMs: number;
  /** Subscriptions open at once on one WebSocket (TOO_MANY_SUBSCRIPTIONS). */
  subscriptionsPerConnection: number;
  /** WebSockets one user may hold open on this instance (more are closed with 4029). */
  connectionsPerUser: number;
}


export class ConfigError extends Error {}

/**
 * One line per problem, each naming its variable (`PORT: must be a whole
 * number`), from zod's own grouping of the issues by variable.
 */
function problemLines(error: z.ZodError<Record<string, unknown>>): string[] {
  const { formErrors, fieldErrors } = z.flattenError(error);
  return [
    ...formErrors.map((message) => `environment: ${message}`),
    ...Object.entries(fieldErrors).flatMap(([variable, messages]) => (messages ?? []).map((message) => `${variable}: ${message}`)),
  ];
}

/** Parses an environment; throws ConfigError with one line per bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(problemLines(parsed.error).join('\n'));
  return toConfig(parsed.data);
}

/** The parsed environment as the server's Config, with the defaults that depend on the mode. */
function toConfig(e: Env): Config {
  const localMode = !e.AUTH_SECRET;
  const production = e.NODE_ENV === 'production';
  const origins = e.CORS_ORIGINS?.split(',').map((o) => o.trim()).filter(Boolean);
  return {
    production,
    graphiql: e.GRAPHIQL ?? !production,
    introspection: e.INTROSPECTION ?? (production ? 'authenticated' : 'anonymous'),
    port: e.PORT,
    host: e.HOST ?? (localMode ? '127.0.0.1' : '0.0.0.0'),
    localMode,
    authSecret: e.AUTH_SECRET,
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.DATA_DIR ?? '.data'),
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX ?? 'chat-run:',
    encryptionKey: e.ENCRYPTION_KEY ? Buffer.from(e.ENCRYPTION_KEY, 'base64') : undefined,
    corsOrigins: origins?.includes('*') ? '*' : origins ?? (localMode ? '*' : []),
    llm: {
      baseUrl: e.LLM_BASE_URL ?? (e.LLM_API_KEY ? OPENAI_BASE_URL : undefined),
      apiKey: e.LLM_API_KEY,
      model: e.LLM_MODEL,
      maxRetries: e.LLM_MAX_RETRIES,
      stallTimeoutMs: e.LLM_STALL_TIMEOUT_MS,
    },
    demoModel: e.DEMO_MODEL,
    titleGeneration: e.TITLE_GENERATION,
    providerAllowPrivate: e.PROVIDER_ALLOW_PRIVATE,
    flushIntervalMs: e.FLUSH_INTERVAL_MS,
    runLeaseMs: e.RUN_LEASE_MS,
    maxIterations: e.MAX_ITERATIONS,
    runMaxDurationMs: e.RUN_MAX_DURATION_MS,
    subscriberMaxBufferBytes: e.SUBSCRIBER_MAX_BUFFER_BYTES,
    subscriberMaxLagEvents: e.SUBSCRIBER_MAX_LAG_EVENTS,
    limits: {
      queryDepth: e.MAX_QUERY_DEPTH,
      queryAliases: e.MAX_QUERY_ALIASES,
      queryTokens: e.MAX_QUERY_TOKENS,
      queryCost: e.MAX_QUERY_COST,
      queryDirectives: e.MAX_QUERY_DIRECTIVES,
      messageChars: e.MAX_MESSAGE_CHARS,
      activeRunsPerUser: e.MAX_ACTIVE_RUNS_PER_USER,
      sendsPerMinute: e.SEND_RATE_PER_MINUTE,
      runsInFlight: e.MAX_RUNS_IN_FLIGHT,
      wsInitTimeoutMs: e.WS_INIT_TIMEOUT_MS,
      subscriptionsPerConnection: e.MAX_SUBSCRIPTIONS_PER_CONNECTION,
      connectionsPerUser: e.MAX_CONNECTIONS_PER_USER,
    },
    logLevel: e.LOG_LEVEL,
    metricsToken: e.METRICS_TOKEN,
  };
}

/** For the entry point: a bad configuration prints its reasons, one line each, and exits 1. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      // One line per bad variable, each naming it, as for every other failed start.
      process.stderr.write(error.message.split('\n').map((line) => `Cannot start: ${line}\n`).join(''));
      process.exit(1);
    }
    throw error;
  }
}
