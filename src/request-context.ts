/**
 * Builds each operation's GraphQLContext. Two ways in: an HTTP request
 * authenticates its `Authorization` header (a refused token leaves no
 * viewer and says why), a WebSocket operation reuses the viewer its
 * connection authenticated at `connection_init`.
 */
import { randomUUID } from 'node:crypto';
import type { YogaInitialContext } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { GraphQLContext } from './resolvers/context.js';
import { UnauthenticatedError } from './services/errors.js';
import type { Services } from './services/index.js';
import type { SocketExtra } from './ws-server.js';

export interface ContextDeps {
  services: Services;
  log: Logger;
  config: Pick<Config, 'subscriberMaxBufferBytes'>;
}

export type ContextFactory = (initial: YogaInitialContext & { extra?: SocketExtra }) => Promise<GraphQLContext>;

/** The caller's x-request-id (bounded, printable), or a new one. */
function requestIdOf(request: Request): string {
  const given = request.headers.get('x-request-id');
  return given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

export function createContextFactory({ services, log, config }: ContextDeps): ContextFactory {
  return async (initial) => {
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
}
