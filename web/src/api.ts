/**
 * Talking to the server on the page's own origin: queries and mutations as
 * HTTP POST /graphql, subscriptions over graphql-ws on the same path. A
 * token, when the server needs one, is kept in localStorage and sent as
 * `Authorization: Bearer` and in `connectionParams.authorization`.
 */
import { createClient, type Client } from 'graphql-ws/client';

const TOKEN_KEY = 'chat-run-server.token';

export const token = {
  get: (): string => localStorage.getItem(TOKEN_KEY) ?? '',
  set(value: string) {
    if (value) localStorage.setItem(TOKEN_KEY, value);
    else localStorage.removeItem(TOKEN_KEY);
    resetSocket();
  },
};

export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

const bearer = () => (token.get() ? `Bearer ${token.get()}` : undefined);

/** Runs a query or mutation; throws the first GraphQL error (with its code). */
export async function gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  const auth = bearer();
  if (auth) headers.authorization = auth;
  const response = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = (await response.json().catch(() => null)) as {
    data?: T;
    errors?: { message: string; extensions?: { code?: string } }[];
  } | null;
  if (!body) throw new GraphQLRequestError(`HTTP ${response.status}`);
  const error = body.errors?.[0];
  if (error) throw new GraphQLRequestError(error.message, error.extensions?.code);
  return body.data as T;
}

let socket: Client | undefined;

function resetSocket() {
  void socket?.dispose();
  socket = undefined;
}

/** One graphql-ws connection for the page, opened on first use and retried when it drops. */
function ws(): Client {
  socket ??= createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    lazy: true,
    connectionParams: () => {
      const auth = bearer();
      return auth ? { authorization: auth } : {};
    },
    retryAttempts: 20,
    // Reconnect soon after a drop (0.3 s, doubling up to 10 s, with jitter): the answer is streaming.
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 300 * 2 ** retries) + Math.random() * 300)),
    // Also retry after 4403 (a refused or expired token): the user may paste a new one.
    shouldRetry: () => true,
  });
  return socket;
}

/**
 * Subscribes; `onData` gets each result's data. graphql-ws re-sends the same
 * subscription (same variables) after a reconnect, so callers drop what
 * they already have. Returns the unsubscribe function.
 */
export function subscribe<T>(
  query: string,
  variables: Record<string, unknown>,
  handlers: { next: (data: T) => void; error: (error: Error) => void; complete: () => void },
): () => void {
  return ws().subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        const error = result.errors?.[0] as { message: string; extensions?: { code?: string } } | undefined;
        if (error) handlers.error(new GraphQLRequestError(error.message, error.extensions?.code));
        else if (result.data) handlers.next(result.data as T);
      },
      error: (error) =>
        handlers.error(
          error instanceof Error
            ? error
            : new Error(Array.isArray(error) ? String(error[0]?.message) : 'connection closed'),
        ),
      complete: handlers.complete,
    },
  );
}
