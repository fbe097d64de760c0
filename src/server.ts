/**
 * Wires one server instance: database, services, yoga for HTTP (queries,
 * mutations, SSE, GraphiQL) and graphql-ws (src/ws-server.ts) on the same
 * port and path.
 * `createApp(config)` builds everything and returns `{ start, stop }`; there
 * is no module-level state, so a test can run two servers in one process.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createYoga, type YogaInitialContext } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { createLogger } from './logger.js';
import { DEMO_BASE_URL, DEMO_MODEL_NAME } from './services/llm/demo-model.js';
import type { GraphQLContext } from './resolvers/context.js';
import { buildSchema } from './schema/index.js';
import { maskError } from './schema/errors.js';
import { useOperationLog } from './schema/operation-log.js';
import { queryLimitPlugins } from './schema/query-limits.js';
import { variableErrorsPlugin } from './schema/variable-errors.js';
import { requestParamsPlugin } from './schema/request-params.js';
import { graphiqlPage } from './graphiql-page.js';
import { databaseHealth } from './health.js';
import { metricsAccess, metricsEndpoint } from './metrics-endpoint.js';
import { useIntrospectionPolicy } from './plugins/use-introspection-policy.js';
import { useSubscriptionExpiry } from './plugins/use-subscription-expiry.js';
import { openDatabase, type Database } from './services/database/data-source.js';
import { UnauthenticatedError } from './services/errors.js';
import { createServices, type Services } from './services/index.js';
import { loadOrCreateKeyFile, openSecretBox } from './services/secrets/encryption-key.js';
import { webPage } from './web-page.js';
import { createWsServer, type SocketExtra } from './ws-server.js';

export interface AppOptions {
  logger?: Logger;
  /** Sees every SQL statement (tests count them). */
  onQuery?: (sql: string) => void;
}

export interface App {
  start(): Promise<{ url: string; port: number }>;
  stop(): Promise<void>;
  readonly services: Services;
  readonly database: Database;
  readonly log: Logger;
}

/** The caller's x-request-id (bounded, printable), or a new one. */
function requestIdOf(request: Request): string {
  const given = request.headers.get('x-request-id');
  return given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

const SHUTDOWN_GRACE_MS = 3_000;

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const log = options.logger ?? createLogger(config.logLevel);
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    onQuery: options.onQuery,
  });
  let services: Services;
  try {
    const key = config.encryptionKey ?? loadOrCreateKeyFile(config.dataDir);
    const secrets = await openSecretBox(database.dataSource, key);
    services = createServices({ dataSource: database.dataSource, secrets, log, config });
  } catch (error) {
    await database.close();
    throw error;
  }

  const databaseHealthy = databaseHealth(database.dataSource);
  const schema = buildSchema();
  let ready = false;

  const context = async (initial: YogaInitialContext & { extra?: SocketExtra }): Promise<GraphQLContext> => {
    const extra = initial.extra as (SocketExtra & { socket: { bufferedAmount: number } }) | undefined;
    const requestId = extra?.connectionId ?? requestIdOf(initial.request);
    const base = { services, loaders: new Map(), requestId };
    if (extra) {
      const viewer = extra.viewer ?? null;
      return {
        ...base,
        transport: 'ws',
        viewer,
        log: log.child({ requestId, userId: viewer?.id }),
        bufferedBytes: () => extra.socket.bufferedAmount,
        maxBufferedBytes: config.subscriberMaxBufferBytes,
      };
    }
    try {
      const viewer = await services.auth.authenticate(initial.request.headers.get('authorization') ?? undefined);
      return { ...base, transport: 'http', viewer, log: log.child({ requestId, userId: viewer?.id }) };
    } catch (error) {
      if (error instanceof UnauthenticatedError) {
        return { ...base, transport: 'http', viewer: null, authError: error, log: log.child({ requestId }) };
      }
      throw error;
    }
  };

  const yoga = createYoga<Record<string, unknown>, GraphQLContext>({
    schema,
    context,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // GraphiQL is served compressed and cached by src/graphiql-page.ts, when config.graphiql is on.
    graphiql: false,
    maskedErrors: { maskError: (error, message) => maskError(error, message, log) },
    cors: corsOptions(config),
    // variableErrorsPlugin before yoga's masking, which logs the error it is given.
    plugins: [
      variableErrorsPlugin(),
      ...queryLimitPlugins(config.limits),
      useOperationLog(),
      requestParamsPlugin(),
      useSubscriptionExpiry(),
      useIntrospectionPolicy(config.introspection),
    ],
    logging: {
      debug: (...args) => log.debug({ yoga: args }, 'yoga'),
      info: (...args) => log.info({ yoga: args }, 'yoga'),
      warn: (...args) => log.warn({ yoga: args }, 'yoga'),
      error: (...args) => log.error({ yoga: args }, 'yoga'),
    },
  });

  const servePage = webPage();
  const serveGraphiQL = config.graphiql ? graphiqlPage({ endpoint: '/graphql', title: 'chat-run-server' }) : () => false;
  const serveMetrics = metricsEndpoint(services.metrics.registry, config);
  const server = http.createServer((req, res) => {
    if (req.url === '/health' || req.url?.startsWith('/health?')) {
      const answer = (code: number, status: 'ok' | 'starting' | 'database unreachable') => {
        res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ status }));
      };
      if (!ready) answer(503, 'starting');
      else void databaseHealthy().then((up) => (up ? answer(200, 'ok') : answer(503, 'database unreachable')));
      return;
    }
    if (serveMetrics(req, res)) return;
    if (servePage(req, res) || serveGraphiQL(req, res)) return;
    void yoga(req, res);
  });

  const ws = createWsServer({ server, yoga, auth: services.auth, config });

  async function start() {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    await services.providers.syncManaged({
      default: config.llm.baseUrl && config.llm.model
        ? { baseUrl: config.llm.baseUrl, apiKey: config.llm.apiKey, model: config.llm.model }
        : undefined,
      demo: config.demoModel ? { baseUrl: DEMO_BASE_URL, model: DEMO_MODEL_NAME } : undefined,
    });
    await services.bus.start?.();
    await services.executor.startBackground();
    ready = true;
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

  let stopping: Promise<void> | undefined;
  function stop() {
    stopping ??= (async () => {
      ready = false;
      await services.executor.stop();
      // Let subscribers receive the INTERRUPTED endings before their sockets close (bounded).
      const drained = Date.now() + 1_000;
      while (services.bus.listenerCount > 0 && Date.now() < drained) await new Promise((r) => setTimeout(r, 20));
      await services.bus.stop?.();
      await ws.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await closed;
      clearTimeout(force);
      await database.close();
      log.info('server stopped');
    })();
    return stopping;
  }

  return { start, stop, services, database, log };
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
