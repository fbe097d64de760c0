/**
 * Starts the real server on a free port over a fresh database cloned from
 * the migrated template, and talks to it with real clients: `fetch` for
 * HTTP and graphql-ws over WebSocket.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import { describe, inject } from 'vitest';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config.js';
import { createApp, type App } from '../../src/server.js';
import { mintToken } from '../../src/services/users/auth-service.js';
import { createLogger } from '../../src/logger.js';
import { adminQuery, databaseUrl, POSTGRES_ADMIN_URL } from '../setup/postgres.js';

export type Backend = 'embedded' | 'postgres';

/** The backends to run database tests on: the embedded PostgreSQL always, an external one when reachable. */
export function backends(): Backend[] {
  return inject('postgresTemplate') ? ['embedded', 'postgres'] : ['embedded'];
}

/** `describe` once per backend; PostgreSQL-only suites are skipped with a reason when it is absent. */
export const describeEachBackend = (name: string, fn: (backend: Backend) => void) => {
  for (const backend of backends()) describe(`${name} [${backend}]`, () => fn(backend));
};

export const describePostgres = inject('postgresTemplate') ? describe : describe.skip;

export const TEST_SECRET = 'test-secret-that-is-at-least-32-characters-long';
export const TEST_ENCRYPTION_KEY = crypto.randomBytes(32).toString('base64');

export interface FreshDatabase {
  env: Record<string, string>;
  /** The database URL, when it is known before the server starts. */
  url?: string;
  drop(): Promise<void>;
}

/** A DATA_DIR of its own and no DATABASE_URL: the server runs an embedded PostgreSQL there, as `npm start` does. */
export function ownEmbeddedDatabase(): FreshDatabase {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-run-own-'));
  return { env: { DATA_DIR: dataDir }, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
}

/** A fresh, migrated database cloned from the backend's template. */
export async function freshDatabase(backend: Backend): Promise<FreshDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-run-data-'));
  const adminUrl = backend === 'embedded' ? inject('embeddedAdminUrl') : POSTGRES_ADMIN_URL;
  const template = backend === 'embedded' ? inject('embeddedTemplate') : inject('postgresTemplate');
  const name = `chatrun_test_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${template}`, adminUrl);
  const url = databaseUrl(name, adminUrl);
  return {
    env: { DATA_DIR: dataDir, DATABASE_URL: url, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY },
    url,
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`, adminUrl);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface GraphQLResponse<T = Record<string, any>> {
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export interface TestServer {
  app: App;
  url: string;
  wsUrl: string;
  port: number;
  /** Every SQL statement the server sent, in order (tests clear and count it). */
  statements: string[];
  /** Runs a query or mutation over HTTP; `token` null sends no Authorization. */
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GraphQLResponse<T>>;
  /** A graphql-ws client that does not retry. */
  ws(token?: string | null): Client;
  token(sub: string, level?: number, name?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface StartOptions {
  backend?: Backend;
  env?: Record<string, string>;
  /** Reuse a database (a restart); otherwise a fresh one is made and dropped on stop. */
  database?: FreshDatabase;
  /** Local mode (no AUTH_SECRET); default false. */
  local?: boolean;
  /** Where the server logs (default: LOG_LEVEL of `env`, silent); see helpers/log.ts. */
  logger?: Logger;
}

export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const database = options.database ?? (await freshDatabase(options.backend ?? 'embedded'));
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(options.local ? {} : { AUTH_SECRET: TEST_SECRET }),
    ...database.env,
    ...options.env,
  };
  const statements: string[] = [];
  const config = loadConfig(env);
  const app = await createApp(config, {
    logger: options.logger ?? createLogger(env.LOG_LEVEL!),
    onQuery: (sql) => statements.push(sql),
  });
  const { port } = await app.start();
  const url = `http://127.0.0.1:${port}/graphql`;
  const wsUrl = `ws://127.0.0.1:${port}/graphql`;
  const clients: Client[] = [];
  return {
    app,
    url,
    wsUrl,
    port,
    statements,
    async gql(query, variables, token) {
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      return (await response.json()) as GraphQLResponse<any>;
    },
    ws(token) {
      const client = createClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: true,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      });
      clients.push(client);
      return client;
    },
    token: (sub, level = 1, name) => mintToken(TEST_SECRET, { sub, permissionLevel: level, name }),
    async stop() {
      await Promise.all(clients.map((c) => c.dispose()));
      await app.stop();
      if (!options.database) await database.drop();
    },
  };
}

/** The first error's code, for terse assertions. */
export const codeOf = (response: GraphQLResponse) => response.errors?.[0]?.extensions?.code;
