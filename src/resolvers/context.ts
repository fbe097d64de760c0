/**
 * The per-request (or per-WebSocket-operation) context and the small
 * helpers every resolver uses: who the viewer is, and the services.
 */
import DataLoader from 'dataloader';
import type { Logger } from 'pino';
import type { Services } from '../services/index.js';
import { UnauthenticatedError } from '../services/errors.js';
import type { Viewer } from '../services/users/viewer.js';

export interface GraphQLContext {
  viewer: Viewer | null;
  /** x-request-id of the HTTP request, or the WebSocket connection's id. */
  requestId: string;
  /** How the operation arrived: an HTTP request (queries, SSE) or a WebSocket. */
  transport: 'http' | 'ws';
  /** The app's logger with requestId and userId. */
  log: Logger;
  /** Why there is no viewer, when a token was given but refused. */
  authError?: UnauthenticatedError;
  services: Services;
  /** Per-request loaders that are not tied to one GraphQL type (see `loader`). */
  loaders: Map<string, DataLoader<string, unknown>>;
  /** Bytes queued on the client's socket (WebSocket only): slow subscribers are dropped. */
  bufferedBytes?: () => number;
  /** Above this many queued bytes a subscriber is dropped; it may resume with `after`. */
  maxBufferedBytes?: number;
}

/** The viewer, or UNAUTHENTICATED with the reason the token was refused. */
export function requireViewer(ctx: GraphQLContext): Viewer {
  if (ctx.viewer) return ctx.viewer;
  throw ctx.authError ?? new UnauthenticatedError('Sign in: send "Authorization: Bearer <token>".');
}

/** A per-request DataLoader, created on first use under `key`. */
export function loader<V>(
  ctx: GraphQLContext,
  key: string,
  batch: (keys: readonly string[]) => Promise<V[]>,
): DataLoader<string, V> {
  let found = ctx.loaders.get(key) as DataLoader<string, V> | undefined;
  if (!found) {
    found = new DataLoader<string, V>(batch);
    ctx.loaders.set(key, found as DataLoader<string, unknown>);
  }
  return found;
}
