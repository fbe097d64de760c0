/**
 * graphql-ws on the HTTP server's `/graphql` path: authenticates
 * `connection_init`, caps connections per user, closes a socket with 4403
 * when its token expires, caps operations per connection, and runs each
 * operation through yoga's envelop (the same plugins as HTTP). Owns the
 * WebSocketServer; `createApp` only builds it and closes it on stop.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import { CloseCode, type Context, type OperationResult, type SubscribePayload } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocket, WebSocketServer } from 'ws';
import type { Config } from './config.js';
import { graphqlError } from './graphql-error.js';
import type { GraphQLContext } from './resolvers/context.js';
import { ConnectionCap, TOO_MANY_CONNECTIONS_CLOSE_CODE, TOO_MANY_CONNECTIONS_REASON } from './plugins/connection-cap.js';
import { UnauthenticatedError } from './services/errors.js';
import type { AuthService } from './services/users/auth-service.js';
import type { Viewer } from './services/users/viewer.js';

/** What a WebSocket connection remembers after `connection_init`. */
export type SocketExtra = {
  viewer?: Viewer;
  expiryTimer?: NodeJS.Timeout;
  /** Logged as the requestId of every operation on the connection. */
  connectionId?: string;
  /** Set once the connection holds a slot of the per-user cap (released on close). */
  capped?: string;
};

/** The largest WebSocket frame a client may send: a subscribe message with generous variables. */
const MAX_WS_FRAME_BYTES = 1024 * 1024;

export interface WsServerDeps {
  server: http.Server;
  yoga: YogaServerInstance<Record<string, unknown>, GraphQLContext>;
  auth: AuthService;
  config: Pick<Config, 'limits'>;
}

export interface WsServer {
  /** Open connections of a user on this instance. */
  connectionsOf(userId: string): number;
  /** Ends every operation, terminates every socket and stops accepting. */
  close(): Promise<void>;
}

export function createWsServer({ server, yoga, auth, config }: WsServerDeps): WsServer {
  const { limits } = config;
  const cap = new ConnectionCap(limits.connectionsPerUser);
  // A frame larger than this closes the socket with 1009 (ws's default would allow 100 MiB).
  const wsServer = new WebSocketServer({ server, path: '/graphql', maxPayload: MAX_WS_FRAME_BYTES });
  // ws re-emits the HTTP server's 'error' (EADDRINUSE from listen), which start() already
  // rejects with; unheard here, it would crash the process with a stack instead of one line.
  wsServer.on('error', () => {});
  const handle = useServer<Record<string, unknown> | undefined, SocketExtra>(
    {
      connectionInitWaitTimeout: limits.wsInitTimeoutMs,
      onConnect: (ctx) => admit(ctx, { auth, cap }),
      onClose: (ctx) => {
        clearTimeout(ctx.extra.expiryTimer);
        if (ctx.extra.capped !== undefined) cap.release(ctx.extra.capped);
        ctx.extra.capped = undefined;
      },
      onSubscribe: (ctx, _id, payload) => prepareOperation({ ctx, payload, yoga, limits }),
      execute: (args) => (args.rootValue as OperationRoot).execute(args),
      subscribe: (args) => (args.rootValue as OperationRoot).subscribe(args),
    },
    wsServer,
  );

  return {
    connectionsOf: (userId) => cap.count(userId),
    async close() {
      await handle.dispose();
      for (const socket of wsServer.clients) socket.terminate();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}

type SocketContext = Context<Record<string, unknown> | undefined, Extra & Partial<SocketExtra>>;

/**
 * `connection_init`: authenticates, takes a slot of the per-user cap and
 * arms the token's expiry. False closes with 4403 Forbidden: the client may
 * refresh its token and retry.
 */
async function admit(ctx: SocketContext, { auth, cap }: { auth: AuthService; cap: ConnectionCap }): Promise<boolean> {
  let viewer: Viewer | null;
  try {
    viewer = await auth.authenticate(ctx.connectionParams?.authorization);
  } catch (error) {
    if (error instanceof UnauthenticatedError) return false;
    throw error;
  }
  if (!viewer) return false;
  const socket = ctx.extra.socket;
  // The socket may have closed while we authenticated: its onClose has run, so take no slot.
  if (socket.readyState !== WebSocket.OPEN) return false;
  if (!cap.tryAcquire(viewer.id)) {
    // Our close frame goes first; graphql-ws's 4403 for `false` then finds the socket closing.
    socket.close(TOO_MANY_CONNECTIONS_CLOSE_CODE, TOO_MANY_CONNECTIONS_REASON);
    return false;
  }
  ctx.extra.capped = viewer.id;
  ctx.extra.viewer = viewer;
  ctx.extra.connectionId = randomUUID();
  if (viewer.expiresAt !== undefined) {
    ctx.extra.expiryTimer = setTimeout(
      () => socket.close(CloseCode.Forbidden, 'Token expired'),
      Math.max(0, Math.min(viewer.expiresAt - Date.now(), 2 ** 31 - 1)),
    );
  }
  return true;
}

/** How an operation reaches yoga's envelop: its execute and subscribe travel as the root value. */
interface OperationRoot {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
}

interface OperationRequest {
  ctx: SocketContext;
  payload: SubscribePayload;
  yoga: WsServerDeps['yoga'];
  limits: Config['limits'];
}

/**
 * A `subscribe` message: refused over the per-connection cap, otherwise
 * parsed and validated through yoga's envelop (the same plugins as HTTP),
 * so graphql-ws executes it with yoga's execute and subscribe.
 */
async function prepareOperation({ ctx, payload, yoga, limits }: OperationRequest): Promise<ExecutionArgs | readonly GraphQLError[]> {
  // graphql-ws has already registered this operation in ctx.subscriptions.
  if (Object.keys(ctx.subscriptions).length > limits.subscriptionsPerConnection) {
    return [graphqlError(`At most ${limits.subscriptionsPerConnection} operations may be open on one connection.`, 'TOO_MANY_SUBSCRIPTIONS')];
  }
  const enveloped = yoga.getEnveloped({ ...ctx, req: ctx.extra.request, socket: ctx.extra.socket, params: payload });
  let document;
  try {
    document = enveloped.parse(payload.query);
  } catch (error) {
    return [error as GraphQLError];
  }
  const errors = enveloped.validate(enveloped.schema, document);
  if (errors.length > 0) return errors;
  const rootValue: OperationRoot = { execute: enveloped.execute, subscribe: enveloped.subscribe };
  return {
    schema: enveloped.schema,
    operationName: payload.operationName,
    document,
    variableValues: payload.variables,
    contextValue: await enveloped.contextFactory(),
    rootValue,
  };
}
