/**
 * Counts open WebSocket connections per user on this instance, so one user
 * cannot hold hundreds of sockets (each with its subscriptions). Knows
 * nothing of sockets or GraphQL: the WebSocket wiring acquires a slot after
 * authenticating and releases it when the socket closes.
 */

/**
 * The close code for a connection refused by the cap. Not 4403 (graphql-ws
 * clients read that as "refresh the token and retry") nor 4429 (graphql-ws's
 * TooManyInitialisationRequests, which its client treats as fatal); 4029
 * echoes HTTP 429 in the application range 4000–4999 and collides with no
 * graphql-ws CloseCode.
 */
export const TOO_MANY_CONNECTIONS_CLOSE_CODE = 4029;
export const TOO_MANY_CONNECTIONS_REASON = 'Too many connections for this user';

export class ConnectionCap {
  private readonly open = new Map<string, number>();

  constructor(private readonly maxPerUser: number) {}

  /** Takes a slot for `userId`; false when the user already has `maxPerUser` open. */
  tryAcquire(userId: string): boolean {
    const count = this.open.get(userId) ?? 0;
    if (count >= this.maxPerUser) return false;
    this.open.set(userId, count + 1);
    return true;
  }

  /** Gives back a slot taken by `tryAcquire` (call once per successful acquire). */
  release(userId: string): void {
    const count = this.open.get(userId) ?? 0;
    if (count <= 1) this.open.delete(userId);
    else this.open.set(userId, count - 1);
  }

  /** Open connections of `userId` (tests and metrics). */
  count(userId: string): number {
    return this.open.get(userId) ?? 0;
  }
}
