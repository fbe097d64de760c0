/**
 * Configuration errors: loadConfig names the bad variable; the entry point
 * exits 1 with one clear line; a wrong ENCRYPTION_KEY and a second server
 * on the same embedded DATA_DIR are refused at start-up.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { OPENAI_BASE_URL } from '../src/env-schema.js';
import { createApp } from '../src/server.js';
import { createLogger } from '../src/logger.js';
import { describeEachBackend, freshDatabase, ownEmbeddedDatabase, startServer, TEST_SECRET } from './helpers/server.js';

const key = () => crypto.randomBytes(32).toString('base64');
const root = path.resolve(import.meta.dirname, '..');

/** The ConfigError loadConfig throws for `env`. */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

/** Runs `npx tsx src/main.ts` with exactly `env` (plus PATH and HOME); kills it after `timeoutMs`. */
function runMain(env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'src/main.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? root, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

describe('loadConfig', () => {
  it('has working defaults: local mode on loopback', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 4000, host: '127.0.0.1', localMode: true, corsOrigins: '*', demoModel: true, providerAllowPrivate: false });
    const served = loadConfig({ AUTH_SECRET: TEST_SECRET });
    expect(served).toMatchObject({ host: '0.0.0.0', localMode: false, corsOrigins: [], authSecret: TEST_SECRET });
    // Blank is unset (PORT= in a .env file), not 0.
    expect(loadConfig({ PORT: ' ', HOST: '' }).port).toBe(4000);
    expect(loadConfig({ PORT: '', LLM_STALL_TIMEOUT_MS: '', FLUSH_INTERVAL_MS: '' })).toMatchObject({
      port: 4000,
      flushIntervalMs: 20,
      llm: { stallTimeoutMs: 60_000 },
    });
  });

  it.each([
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '-1' }],
    ['PORT', { PORT: '80.5' }],
    ['ENCRYPTION_KEY', { DATABASE_URL: 'postgres://u@127.0.0.1/db' }],
    ['ENCRYPTION_KEY', { ENCRYPTION_KEY: crypto.randomBytes(16).toString('base64') }],
    ['ENCRYPTION_KEY', { ENCRYPTION_KEY: crypto.randomBytes(33).toString('base64') }],
    ['ENCRYPTION_KEY', { DATABASE_URL: 'postgres://u@127.0.0.1/db', ENCRYPTION_KEY: 'short' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://u@127.0.0.1/db', ENCRYPTION_KEY: key() }],
    ['HOST', { HOST: '0.0.0.0' }],
    ['HOST', { HOST: '::' }],
    ['HOST', { HOST: '192.168.1.10' }],
    ['AUTH_SECRET', { AUTH_SECRET: 'too-short' }],
    ['LLM_MODEL', { LLM_BASE_URL: 'http://127.0.0.1:11434/v1' }],
    ['LLM_MODEL', { LLM_API_KEY: 'sk-test' }],
    ['LLM_MODEL', { LLM_BASE_URL: 'http://127.0.0.1:11434/v1', LLM_API_KEY: 'sk-test' }],
    ['LLM_BASE_URL', { LLM_MODEL: 'llama3' }],
    ['LLM_BASE_URL', { LLM_BASE_URL: 'ftp://models.example.com', LLM_MODEL: 'x' }],
    ['DEMO_MODEL', { DEMO_MODEL: 'maybe' }],
    ['PROVIDER_ALLOW_PRIVATE', { PROVIDER_ALLOW_PRIVATE: 'sure' }],
    ['FLUSH_INTERVAL_MS', { FLUSH_INTERVAL_MS: '0' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }],
    ['GRAPHIQL', { GRAPHIQL: 'on' }],
    ['INTROSPECTION', { INTROSPECTION: 'everyone' }],
    ['MAX_CONNECTIONS_PER_USER', { MAX_CONNECTIONS_PER_USER: '0' }],
  ] as [string, Record<string, string>][])('names %s for %j', (variable, env) => {
    const error = configError(env);
    const lines = error.message.split('\n');
    expect(lines.some((line) => line.startsWith(`${variable}: `)), error.message).toBe(true);
  });

  it('accepts the good versions of the same variables', () => {
    const encryptionKey = key();
    const config = loadConfig({
      PORT: '0',
      HOST: '0.0.0.0',
      AUTH_SECRET: TEST_SECRET,
      DATABASE_URL: 'postgresql://u@127.0.0.1/db',
      ENCRYPTION_KEY: encryptionKey,
      LLM_BASE_URL: 'http://127.0.0.1:11434/v1',
      LLM_MODEL: 'llama3',
      DEMO_MODEL: 'false',
      PROVIDER_ALLOW_PRIVATE: 'true',
    });
    expect(config).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      databaseUrl: 'postgresql://u@127.0.0.1/db',
      demoModel: false,
      providerAllowPrivate: true,
      llm: { baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3' },
    });
    expect(config.encryptionKey?.equals(Buffer.from(encryptionKey, 'base64'))).toBe(true);
    expect(loadConfig({ HOST: '127.0.0.2' }).host).toBe('127.0.0.2');
    expect(loadConfig({ HOST: 'localhost' }).host).toBe('localhost');
  });

  it('reads the default provider: a key alone is OpenAI, a base URL and a model need no key', () => {
    expect(loadConfig({ LLM_API_KEY: 'sk-test', LLM_MODEL: 'gpt-4o-mini' }).llm).toMatchObject({
      baseUrl: 'https://api.openai.com/v1',
      apiKey: 'sk-test',
      model: 'gpt-4o-mini',
    });
    expect(OPENAI_BASE_URL).toBe('https://api.openai.com/v1');
    const keyless = loadConfig({ LLM_BASE_URL: 'http://127.0.0.1:11434/v1', LLM_MODEL: 'llama3' }).llm;
    expect(keyless).toMatchObject({ baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3' });
    expect(keyless.apiKey).toBeUndefined();
    expect(loadConfig({ LLM_BASE_URL: 'https://api.deepseek.com', LLM_API_KEY: 'k', LLM_MODEL: 'deepseek-chat' }).llm.baseUrl).toBe(
      'https://api.deepseek.com',
    );
    expect(loadConfig({}).llm.baseUrl).toBeUndefined();
    // A missing LLM_MODEL is one line naming it, and nothing else.
    expect(configError({ LLM_API_KEY: 'sk-test' }).message).toMatch(/^LLM_MODEL: is required with LLM_API_KEY[^\n]*$/);
  });

  it('switches GraphiQL and anonymous introspection off in production, unless set explicitly', () => {
    expect(loadConfig({})).toMatchObject({ production: false, graphiql: true, introspection: 'anonymous' });
    expect(loadConfig({ NODE_ENV: 'test' })).toMatchObject({ production: false, graphiql: true, introspection: 'anonymous' });
    expect(loadConfig({ NODE_ENV: 'production' })).toMatchObject({ production: true, graphiql: false, introspection: 'authenticated' });
    expect(loadConfig({ NODE_ENV: 'production', GRAPHIQL: 'true', INTROSPECTION: 'anonymous' })).toMatchObject({
      graphiql: true,
      introspection: 'anonymous',
    });
    expect(loadConfig({ GRAPHIQL: 'false', INTROSPECTION: 'off' })).toMatchObject({ graphiql: false, introspection: 'off' });
    expect(loadConfig({}).limits.connectionsPerUser).toBe(20);
  });

  it('reports every bad variable, one line each', () => {
    const error = configError({ PORT: 'abc', AUTH_SECRET: 'short', LOG_LEVEL: 'loud' });
    const lines = error.message.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.map((line) => line.split(':')[0]).sort()).toEqual(['AUTH_SECRET', 'LOG_LEVEL', 'PORT']);
  });
});

describe('npm start with a bad environment', () => {
  it('exits 1 with one clear line naming PORT', async () => {
    const { code, stderr, stdout } = await runMain({ PORT: 'abc' });
    expect(code).toBe(1);
    const lines = stderr.split('\n').filter((line) => line.trim() !== '');
    expect(lines.filter((line) => line.includes('PORT')), stderr).toHaveLength(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe('Cannot start: PORT: must be a whole number');
    // No stack trace, no dump of the environment.
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stderr.length).toBeLessThan(500);
    expect(stdout).not.toMatch(/ready/);
  });
});

describeEachBackend('encryption key', (backend) => {
  it('refuses to start with a different key than the database was encrypted with', async () => {
    const database = await freshDatabase(backend);
    const k1 = key();
    const k2 = key();
    try {
      const first = await startServer({ backend, database, env: { ENCRYPTION_KEY: k1 } });
      const admin = await first.token('key-admin', 10);
      const created = await first.gql(
        'mutation { createProvider(input: { name: "Keyed", baseUrl: "https://203.0.113.60/v1", apiKey: "sk-keyed-0000-1111", defaultModel: "m" }) { id } }',
        {},
        admin,
      );
      expect(created.errors).toBeUndefined();
      await first.stop();

      const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', AUTH_SECRET: TEST_SECRET, ...database.env, ENCRYPTION_KEY: k2 });
      await expect(createApp(config, { logger: createLogger('silent') })).rejects.toMatchObject({
        code: 'ENCRYPTION_KEY_MISMATCH',
        message: expect.stringContaining('ENCRYPTION_KEY'),
      });

      // The refused start released everything: the right key still works.
      const again = await startServer({ backend, database, env: { ENCRYPTION_KEY: k1 } });
      const read = await again.gql('{ providers { name hasApiKey } }', {}, await again.token('key-admin', 10));
      expect(read.data!.providers).toContainEqual({ name: 'Keyed', hasApiKey: true });
      await again.stop();
    } finally {
      await database.drop();
    }
  });
});

describe('embedded key file', () => {
  it('is generated once with mode 0600 and a different ENCRYPTION_KEY is refused', async () => {
    const database = ownEmbeddedDatabase();
    try {
      const first = await startServer({ database });
      await first.stop();
      const file = path.join(database.env.DATA_DIR!, 'encryption.key');
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const stored = fs.readFileSync(file, 'utf8');
      const second = await startServer({ database });
      await second.stop();
      expect(fs.readFileSync(file, 'utf8')).toBe(stored);
      const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', AUTH_SECRET: TEST_SECRET, ...database.env, ENCRYPTION_KEY: key() });
      await expect(createApp(config, { logger: createLogger('silent') })).rejects.toMatchObject({ code: 'ENCRYPTION_KEY_MISMATCH' });
    } finally {
      await database.drop();
    }
  });
});

describe('an embedded DATA_DIR in use', () => {
  it('refuses a second app or process on the same DATA_DIR while the first runs', async () => {
    const database = ownEmbeddedDatabase();
    try {
      const first = await startServer({ database });
      const env = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATA_DIR: database.env.DATA_DIR! };

      // Another app in this process.
      await expect(createApp(loadConfig(env), { logger: createLogger('silent') })).rejects.toMatchObject({ code: 'EMBEDDED_DATABASE' });
      // Another process.
      const other = await runMain(env);
      expect(other.code).toBe(1);
      expect(other.stderr).toMatch(/DATA_DIR/);
      expect(other.stderr).not.toMatch(/\n\s+at /);

      // The first server is unharmed.
      const alive = await first.gql('{ viewer { username } }', {}, await first.token('lock-user'));
      expect(alive.errors).toBeUndefined();
      await first.stop();

      // Once it stopped, the folder opens again.
      const next = await startServer({ database });
      expect((await next.gql('{ __typename }', {}, null)).data).toEqual({ __typename: 'Query' });
      await next.stop();
    } finally {
      await database.drop();
    }
  });
});
