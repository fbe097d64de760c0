/**
 * The environment the server reads, as a zod schema: each variable's type,
 * default and bounds, and the rules between variables. Blank values count
 * as unset. src/config.ts turns the parsed environment into a Config.
 */
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

export const envSchema = z
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
    TITLE_GENERATION: bool(true),
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

export type Env = z.output<typeof envSchema>;

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
