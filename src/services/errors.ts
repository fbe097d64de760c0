/**
 * The errors services throw. One root class, one subclass per meaning; the
 * `code` is the API (it becomes `extensions.code` at the GraphQL edge), the
 * message is prose safe to show a user. Anything that is not an AppError is
 * unexpected and gets masked at the edge.
 */
/** Every `extensions.code` the API answers with (BAD_REQUEST and INTERNAL_SERVER_ERROR only at the GraphQL edge). */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'BAD_REQUEST'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONVERSATION_BUSY'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'NO_PROVIDER'
  | 'QUERY_TOO_COMPLEX'
  | 'TOO_MANY_SUBSCRIPTIONS'
  | 'SUBSCRIBER_TOO_SLOW'
  | 'EMBEDDED_DATABASE'
  | 'ENCRYPTION_KEY_MISMATCH'
  | 'REDIS_UNREACHABLE'
  | 'INTERNAL_SERVER_ERROR';

export abstract class AppError extends Error {
  abstract readonly code: ErrorCode;
  /** Extra fields for `extensions`, such as `retryAfterMs`. */
  readonly extensions: Record<string, unknown> = {};

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class UnauthenticatedError extends AppError {
  readonly code = 'UNAUTHENTICATED';
}

export class ForbiddenError extends AppError {
  readonly code = 'FORBIDDEN';
}

/** The same message for unknown, malformed, wrong-type and other users' ids: no hint of existence. */
export class NotFoundError extends AppError {
  readonly code = 'NOT_FOUND';
  constructor(what = 'object') {
    super(`No ${what} with that id exists.`);
  }
}

export class BadUserInputError extends AppError {
  readonly code = 'BAD_USER_INPUT';
}

export class ConversationBusyError extends AppError {
  readonly code = 'CONVERSATION_BUSY';
  constructor() {
    super('This conversation already has an active run; wait for it to end or cancel it.');
  }
}

/** The request cannot be carried out in the current state; the message says what to do. */
export class ConflictError extends AppError {
  readonly code = 'CONFLICT';
}

/** Start-up: REDIS_URL names a server that cannot be reached. */
export class RedisUnreachableError extends AppError {
  readonly code = 'REDIS_UNREACHABLE';
}

export class NoProviderError extends AppError {
  readonly code = 'NO_PROVIDER';
  constructor() {
    super('No LLM provider is configured: set LLM_BASE_URL and LLM_MODEL, enable DEMO_MODEL, or create a provider.');
  }
}

export class EncryptionKeyMismatchError extends AppError {
  readonly code = 'ENCRYPTION_KEY_MISMATCH';
}

/** A subscriber that fell too far behind; it may resume with `after: lastSeenSeq`. */
export class SubscriberTooSlowError extends AppError {
  readonly code = 'SUBSCRIBER_TOO_SLOW';
  constructor(lastDeliveredSeq: number) {
    super(`The subscriber fell too far behind and was dropped; resubscribe with after: ${lastDeliveredSeq}.`);
    this.extensions.lastSeq = lastDeliveredSeq;
  }
}

/** Too many requests for now; `retryAfterMs` says when to try again. */
export class RateLimitedError extends AppError {
  readonly code = 'RATE_LIMITED';
  constructor(message: string, retryAfterMs: number) {
    super(message);
    this.extensions.retryAfterMs = Math.max(0, Math.ceil(retryAfterMs));
  }
}
