/**
 * Configuration: the only module that reads `process.env`.
 *
 * Every variable is validated with zod at start-up; a bad value stops the
 * server with one line naming the variable (see `loadConfigOrExit`).
 */
import path from 'node:path';
import { z } from 'zod';

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .optional()
    .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1' || v === 'yes'));

/** A boolean whose default depends on other variables (resolved in loadConfig). */
// A blank value is unset (GRAPHIQL= in a .env file means the mode's default).
const optionalBool = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1' || v === 'yes')),
);

// A blank value is unset, as for every other variable: `Number('')` would be 0
// (PORT= in a .env file silently meant a random port).
const int = (fallback: number, min: number, max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.coerce.number({ error: (issue) => (issue.code === 'invalid_type' ? 'must be a whole number' : undefined) }).int('must be a whole number').min(min).max(max).default(fallback),
  );

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const httpUrl = optionalString.pipe(
  z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .optional(),
);

/** The OpenAI SDK's default base URL: what LLM_API_KEY without LLM_BASE_URL means. */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

const envSchema = z
  .object({
    // Node's convention (Apollo Server follows it too): only "production" changes anything.
    NODE_ENV: optionalString,
    GRAPHIQL: optionalBool,
    INTROSPECTION: optionalString.pipe(
      z.enum(['anonymous', 'authenticated', 'off'], { message: 'must be anonymous, authenticated or off' }).optional(),
    ),
    PORT: int(4000, 0, 65535),
    HOST: optionalString,
    DATABASE_URL: optionalString.pipe(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
        .optional(),
    ),
    DATA_DIR: optionalString,
    REDIS_URL: optionalString.pipe(z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional()),
    REDIS_PREFIX: optionalString,
    AUTH_SECRET: optionalString.pipe(
      z.string().min(32, 'must be at least 32 characters (HS256 needs a 256-bit secret)').optional(),
    ),
    ENCRYPTION_KEY: optionalString.pipe(
      z
        .string()
        .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes encoded in base64')
        .optional(),
    ),
    CORS_ORIGINS: optionalString,
    LLM_BASE_URL: httpUrl,
    LLM_API_KEY: optionalString,
    LLM_MODEL: optionalString,
    LLM_MAX_RETRIES: int(2, 0, 10),
    LLM_STALL_TIMEOUT_MS: int(60_000, 100, 3_600_000),
    DEMO_MODEL: bool(true),
    PROVIDER_ALLOW_PRIVATE: bool(false),
    FLUSH_INTERVAL_MS: int(20, 1, 10_000),
    RUN_LEASE_MS: int(15_000, 100, 3_600_000),
    MAX_ITERATIONS: int(20, 1, 1000),
    RUN_MAX_DURATION_MS: int(30 * 60_000, 1_000, 7 * 24 * 3_600_000),
    SUBSCRIBER_MAX_BUFFER_BYTES: int(4 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    SUBSCRIBER_MAX_LAG_EVENTS: int(10_000, 1, 10_000_000),
    MAX_QUERY_DEPTH: int(12, 1, 1000),
    MAX_QUERY_ALIASES: int(20, 0, 10_000),
    MAX_QUERY_TOKENS: int(3_000, 10, 1_000_000),
    MAX_QUERY_COST: int(100_000, 1, 100_000_000),
    MAX_QUERY_DIRECTIVES: int(50, 0, 10_000),
    MAX_MESSAGE_CHARS: int(100_000, 1, 10_000_000),
    MAX_ACTIVE_RUNS_PER_USER: int(10, 1, 100_000),
    SEND_RATE_PER_MINUTE: int(60, 1, 1_000_000),
    MAX_RUNS_IN_FLIGHT: int(100, 1, 100_000),
    WS_INIT_TIMEOUT_MS: int(10_000, 100, 600_000),
    MAX_SUBSCRIPTIONS_PER_CONNECTION: int(50, 1, 100_000),
    MAX_CONNECTIONS_PER_USER: int(20, 1, 1_000_000),
    METRICS_TOKEN: optionalString,
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
  })
  .superRefine((env, ctx) => {
    if (env.DATABASE_URL && !env.ENCRYPTION_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['ENCRYPTION_KEY'],
        message: 'is required with DATABASE_URL (32 bytes, base64: openssl rand -base64 32)',
      });
    }
    // The default provider: a key alone means OpenAI; a base URL alone is a keyless server (Ollama, vLLM).
    if ((env.LLM_BASE_URL || env.LLM_API_KEY) && !env.LLM_MODEL) {
      ctx.addIssue({
        code: 'custom',
        path: ['LLM_MODEL'],
        message: `is required with ${env.LLM_BASE_URL ? 'LLM_BASE_URL' : 'LLM_API_KEY'}: the model the default provider answers with`,
      });
    }
    if (env.LLM_MODEL && !env.LLM_BASE_URL && !env.LLM_API_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['LLM_BASE_URL'],
        message: `is not set, nor LLM_API_KEY: LLM_MODEL needs a provider (LLM_API_KEY alone means OpenAI at ${OPENAI_BASE_URL})`,
      });
    }
    if (!env.AUTH_SECRET && env.HOST && !isLoopbackHost(env.HOST)) {
      ctx.addIssue({
        code: 'custom',
        path: ['HOST'],
        message: `is ${env.HOST}, but without AUTH_SECRET the server runs in single-user local mode and listens on loopback only; set AUTH_SECRET to serve other hosts`,
      });
    }
  });

/** Every variable the server reads (README and .env.example list each). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

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

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export class ConfigError extends Error {}

/** Parses an environment; throws ConfigError with one line per bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`,
    );
    throw new ConfigError(lines.join('\n'));
  }
  const e = parsed.data;
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
