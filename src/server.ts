/**
 * Wires one server instance: database, services, yoga for HTTP (queries,
 * mutations, SSE, /health, /metrics; src/yoga.ts) and graphql-ws
 * (src/ws-server.ts) on the same port and path, the chat page and GraphiQL.
 * `createApp(config)` builds everything and returns `{ start, stop }`; there
 * is no module-level state, so a test can run two servers in one process.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { graphiqlPage } from './graphiql-page.js';
import { createLogger } from './logger.js';
import { useOpenSubscriptions, type OpenSubscriptions } from './plugins/use-open-subscriptions.js';
import { metricsAccess } from './plugins/use-metrics.js';
import { databaseHealth } from './services/database/database-health.js';
import { openDatabase, type Database } from './services/database/data-source.js';
import type { EmbeddedPostgres } from './services/database/embedded-postgres.js';
import { createServices, type Services } from './services/index.js';
import { DEMO_BASE_URL, DEMO_MODEL_NAME, DEMO_THINKING_PARAMS } from './services/llm/demo-model.js';
import { loadOrCreateKeyFile, openSecretBox } from './services/secrets/encryption-key.js';
import { webPage } from './web-page.js';
import { createWsServer, type WsServer } from './ws-server.js';
import { createYogaServer } from './yoga.js';

export interface AppOptions {
  logger?: Logger;
  /** Sees every SQL statement (tests count them). */
  onQuery?: (sql: string) => void;
  /** The embedded PostgreSQL, already being started (without DATABASE_URL). */
  embedded?: Promise<EmbeddedPostgres>;
}

export interface App {
  start(): Promise<{ url: string; port: number }>;
  stop(): Promise<void>;
  readonly services: Services;
  readonly database: Database;
  readonly log: Logger;
}

const SHUTDOWN_GRACE_MS = 3_000;
/** How long a stop waits for subscribers to receive their runs' INTERRUPTED endings. */
const SUBSCRIBER_DRAIN_MS = 1_000;

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const log = options.logger ?? createLogger(config.logLevel);
  const { database, services } = await openServices(config, log, options);
  let ready = false;
  const subscriptions = useOpenSubscriptions();
  const yoga = createYogaServer({
    config,
    services,
    log,
    health: { ready: () => ready, databaseUp: databaseHealth(database.dataSource) },
    plugins: [subscriptions],
  });

  const servePage = webPage();
  const serveGraphiQL = config.graphiql ? graphiqlPage({ endpoint: '/graphql', title: 'chat-run-server' }) : () => false;
  const server = http.createServer((req, res) => {
    if (servePage(req, res) || serveGraphiQL(req, res)) return;
    void yoga(req, res);
  });
  const ws = createWsServer({ server, yoga, auth: services.auth, config });
  const parts: AppParts = { config, log, database, services, server, ws, subscriptions };

  async function start() {
    const { port } = await listen(server, config);
    await services.providers.syncManaged({
      default: config.llm.baseUrl && config.llm.model
        ? { baseUrl: config.llm.baseUrl, apiKey: config.llm.apiKey, model: config.llm.model }
        : undefined,
      demo: config.demoModel ? { baseUrl: DEMO_BASE_URL, model: DEMO_MODEL_NAME, thinkingParams: DEMO_THINKING_PARAMS } : undefined,
    });
    await services.bus.start?.();
    await services.executor.startBackground();
    ready = true;
    return logReady(parts, port);
  }

  let stopping: Promise<void> | undefined;
  function stop() {
    ready = false;
    stopping ??= stopApp(parts);
    return stopping;
  }

  return { start, stop, services, database, log };
}

/** The database and the services over it; the database is closed again if the services cannot be built. */
async function openServices(config: Config, log: Logger, { onQuery, embedded }: AppOptions) {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, onQuery, embedded });
  try {
    const key = config.encryptionKey ?? loadOrCreateKeyFile(config.dataDir);
    const secrets = await openSecretBox(database.dataSource, key);
    const services = createServices({ dataSource: database.dataSource, secrets, log, config });
    return { database, services };
  } catch (error) {
    await database.close();
    throw error;
  }
}

interface AppParts {
  config: Config;
  log: Logger;
  database: Database;
  services: Services;
  server: http.Server;
  ws: WsServer;
  subscriptions: OpenSubscriptions;
}

async function listen(server: http.Server, config: Pick<Config, 'port' | 'host'>): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}

function logReady({ config, log, database }: AppParts, port: number) {
  const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${shownHost === '0.0.0.0' ? 'localhost' : shownHost}:${port}/graphql`;
  log.info(
    {
      url,
      database: database.embedded ? `embedded PostgreSQL in ${database.embedded.clusterDir}` : 'PostgreSQL at DATABASE_URL',
      localMode: config.localMode,
      production: config.production,
      graphiql: config.graphiql,
      introspection: config.introspection,
      metrics: metricsAccess(config),
    },
    'server ready',
  );
  return { url, port };
}

async function stopApp({ log, database, services, server, ws, subscriptions }: AppParts): Promise<void> {
  await services.executor.stop();
  await services.titles.stop();
  // Let subscribers receive the INTERRUPTED endings before their sockets close (bounded).
  const drained = new AbortController();
  await Promise.race([subscriptions.idle(), sleep(SUBSCRIBER_DRAIN_MS, undefined, { signal: drained.signal }).catch(() => {})]);
  drained.abort();
  await services.bus.stop?.();
  await ws.close();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
  await closed;
  clearTimeout(force);
  await database.close();
  log.info('server stopped');
}
