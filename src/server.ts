/**
 * Wires one server instance: database, services, yoga for HTTP (queries,
 * mutations, SSE, GraphiQL) and graphql-ws on the same port and path.
 * `createApp(config)` builds everything and returns `{ start, stop }`; there
 * is no module-level state, so a test can run two servers in one process.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { createYoga, type YogaInitialContext } from 'graphql-yoga';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { Config } from './config.js';
import { createLogger } from './logger.js';
import { DEMO_MODEL_NAME, DEMO_PATH, handleDemoRequest } from './services/llm/demo-model.js';
import type { GraphQLContext } from './resolvers/context.js';
import { buildSchema } from './schema/index.js';
import { maskError } from './schema/errors.js';
import { useOperationLog } from './schema/operation-log.js';
import { queryLimitPlugins } from './schema/query-limits.js';
import { variableErrorsPlugin } from './schema/variable-errors.js';
import { requestParamsPlugin } from './schema/request-params.js';
import { openDatabase, type Database } from './services/database/data-source.js';
import { UnauthenticatedError } from './services/errors.js';
import { createServices, type Services } from './services/index.js';
import { loadOrCreateKeyFile, openSecretBox } from './services/secrets/encryption-key.js';
import type { Viewer } from './services/users/viewer.js';
import { webPage } from './web-page.js';

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

/** What a WebSocket connection remembers after `connection_init`. */
type SocketExtra = {
  viewer?: Viewer;
  expiryTimer?: NodeJS.Timeout;
  /** Logged as the requestId of every operation on the connection. */
  connectionId?: string;
};

/** The caller's x-request-id (bounded, printable), or a new one. */
function requestIdOf(request: Request): string {
  const given = request.headers.get('x-request-id');
  return given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

const SHUTDOWN_GRACE_MS = 3_000;
/** The largest WebSocket frame a client may send: a subscribe message with generous variables. */
const MAX_WS_FRAME_BYTES = 1024 * 1024;

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
        viewer,
        log: log.child({ requestId, userId: viewer?.id }),
        bufferedBytes: () => extra.socket.bufferedAmount,
        maxBufferedBytes: config.subscriberMaxBufferBytes,
      };
    }
    try {
      const viewer = await services.auth.authenticate(initial.request.headers.get('authorization') ?? undefined);
      return { ...base, viewer, log: log.child({ requestId, userId: viewer?.id }) };
    } catch (error) {
      if (error instanceof UnauthenticatedError) {
        return { ...base, viewer: null, authError: error, log: log.child({ requestId }) };
      }
      throw error;
    }
  };

  const yoga = createYoga<Record<string, unknown>, GraphQLContext>({
    schema,
    context,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: { subscriptionsProtocol: 'WS', title: 'chat-run-server' },
    renderGraphiQL,
    maskedErrors: { maskError: (error, message) => maskError(error, message, log) },
    cors: corsOptions(config),
    // variableErrorsPlugin before yoga's masking, which logs the error it is given.
    plugins: [variableErrorsPlugin(), ...queryLimitPlugins(config.limits), useOperationLog(), requestParamsPlugin()],
    logging: {
      debug: (...args) => log.debug({ yoga: args }, 'yoga'),
      info: (...args) => log.info({ yoga: args }, 'yoga'),
      warn: (...args) => log.warn({ yoga: args }, 'yoga'),
      error: (...args) => log.error({ yoga: args }, 'yoga'),
    },
  });

  const servePage = webPage();
  const server = http.createServer((req, res) => {
    if (req.url === '/health' || req.url?.startsWith('/health?')) {
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: ready ? 'ok' : 'starting' }));
      return;
    }
    if (req.url === '/metrics' && req.method === 'GET') {
      void serveMetrics(req, res);
      return;
    }
    if (config.demoModel && handleDemoRequest(req, res)) return;
    if (servePage(req, res)) return;
    void yoga(req, res);
  });

  // A frame larger than this closes the socket with 1009 (ws's default would allow 100 MiB).
  const wsServer = new WebSocketServer({ server, path: '/graphql', maxPayload: MAX_WS_FRAME_BYTES });
  const wsHandle = useServer<Record<string, unknown> | undefined, SocketExtra>(
    {
      connectionInitWaitTimeout: config.limits.wsInitTimeoutMs,
      onConnect: async (ctx) => {
        let viewer: Viewer | null;
        try {
          viewer = await services.auth.authenticate(ctx.connectionParams?.authorization);
        } catch (error) {
          if (error instanceof UnauthenticatedError) return false;
          throw error;
        }
        // Returning false closes with 4403 Forbidden: the client may refresh its token and retry.
        if (!viewer) return false;
        ctx.extra.viewer = viewer;
        ctx.extra.connectionId = randomUUID();
        if (viewer.expiresAt !== undefined) {
          const socket = ctx.extra.socket;
          ctx.extra.expiryTimer = setTimeout(
            () => socket.close(CloseCode.Forbidden, 'Token expired'),
            Math.max(0, Math.min(viewer.expiresAt - Date.now(), 2 ** 31 - 1)),
          );
        }
        return true;
      },
      onClose: (ctx) => clearTimeout(ctx.extra.expiryTimer),
      onSubscribe: async (ctx, _id, payload) => {
        // graphql-ws has already registered this operation in ctx.subscriptions.
        if (Object.keys(ctx.subscriptions).length > config.limits.subscriptionsPerConnection) {
          return [
            new GraphQLError(
              `At most ${config.limits.subscriptionsPerConnection} operations may be open on one connection.`,
              { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } },
            ),
          ];
        }
        const enveloped = yoga.getEnveloped({ ...ctx, req: ctx.extra.request, socket: ctx.extra.socket, params: payload });
        let document;
        try {
          document = enveloped.parse(payload.query);
        } catch (error) {
          return [error as import('graphql').GraphQLError];
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        const args: ExecutionArgs & { rootValue: { execute: typeof enveloped.execute; subscribe: typeof enveloped.subscribe } } = {
          schema: enveloped.schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
        return args;
      },
      execute: (args) => (args.rootValue as { execute: (a: ExecutionArgs) => never }).execute(args),
      subscribe: (args) => (args.rootValue as { subscribe: (a: ExecutionArgs) => never }).subscribe(args),
    },
    wsServer,
  );

  /** Prometheus text; with METRICS_TOKEN set, only for `Authorization: Bearer <METRICS_TOKEN>`. */
  async function serveMetrics(req: http.IncomingMessage, res: http.ServerResponse) {
    if (config.metricsToken && req.headers.authorization !== `Bearer ${config.metricsToken}`) {
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end('metrics need Authorization: Bearer <METRICS_TOKEN>\n');
      return;
    }
    const { registry } = services.metrics;
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(await registry.metrics());
  }

  async function start() {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const loopback = config.host === '::1' ? '[::1]' : '127.0.0.1';
    await services.providers.syncManaged({
      default: config.llm.baseUrl && config.llm.model
        ? { baseUrl: config.llm.baseUrl, apiKey: config.llm.apiKey, model: config.llm.model }
        : undefined,
      demo: config.demoModel ? { baseUrl: `http://${loopback}:${port}${DEMO_PATH}`, model: DEMO_MODEL_NAME } : undefined,
    });
    await services.bus.start?.();
    await services.executor.startBackground();
    ready = true;
    const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${shownHost === '0.0.0.0' ? 'localhost' : shownHost}:${port}/graphql`;
    log.info({ url, database: database.kind, localMode: config.localMode }, 'server ready');
    if (config.localMode) {
      log.warn(
        'single-user local mode: no AUTH_SECRET, every request is the local admin; listening on loopback only',
      );
    }
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
      await wsHandle.dispose();
      for (const socket of wsServer.clients) socket.terminate();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
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
