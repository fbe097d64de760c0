/**
 * Relay connection arguments to keyset pages. Page sizes default to 20 and
 * stop at 100; `first` with `last` is refused; cursors are opaque strings
 * and a cursor that does not decode is BAD_USER_INPUT.
 */
import { resolveCursorConnection, type DefaultConnectionArguments } from '@pothos/plugin-relay';
import { BadUserInputError } from '../services/errors.js';
import type { KeysetPage } from '../services/pagination.js';

export interface ConnectionArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

export interface CursorCodec<Row, Cursor> {
  toCursor(row: Row): Cursor;
  encode(cursor: Cursor): string;
  /** Returns undefined for a string that is not a cursor of this connection. */
  decode(value: string): Cursor | undefined;
}

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/** Resolves a connection by keyset pages read through `read`. */
export interface Connection<Row> {
  edges: { cursor: string; node: Row }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor?: string | null; endCursor?: string | null };
}

export async function keysetConnection<Row extends Base, Base, Cursor>(
  args: ConnectionArgs,
  codec: CursorCodec<Base, Cursor>,
  read: (page: KeysetPage<Cursor>) => Promise<Row[]>,
): Promise<Connection<Row>> {
  if (args.first != null && args.last != null) {
    throw new BadUserInputError('Pass either first or last, not both.');
  }
  for (const key of ['first', 'last'] as const) {
    const size = args[key];
    if (size != null && (size < 0 || size > MAX_PAGE_SIZE)) {
      throw new BadUserInputError(`${key} must be between 0 and ${MAX_PAGE_SIZE}.`);
    }
  }
  const decode = (value: string | null | undefined, key: string) => {
    if (value == null) return undefined;
    const cursor = codec.decode(value);
    if (cursor === undefined) throw new BadUserInputError(`${key} is not a cursor of this list.`);
    return cursor;
  };
  const after = decode(args.after, 'after');
  const before = decode(args.before, 'before');
  const connection = await resolveCursorConnection(
    {
      args: args as DefaultConnectionArguments,
      defaultSize: DEFAULT_PAGE_SIZE,
      maxSize: MAX_PAGE_SIZE,
      toCursor: (row) => codec.encode(codec.toCursor(row as Row)),
    },
    ({ limit, inverted }): Promise<Row[]> => read({ after, before, limit, inverted }),
  );
  const result = connection as Connection<Row>;
  // An empty page has no cursors (Pothos would answer '').
  if (result.edges.length === 0) result.pageInfo = { ...result.pageInfo, startCursor: null, endCursor: null };
  return result;
}

const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const decodeText = (value: string) => {
  if (!/^[A-Za-z0-9_-]+$/.test(value)) return undefined;
  return Buffer.from(value, 'base64url').toString('utf8');
};

/** Cursor codec for rows ordered by (updatedAt, id). */
export const updatedAtCursor: CursorCodec<{ updatedAt: Date; id: string }, { updatedAt: Date; id: string }> = {
  toCursor: (row) => ({ updatedAt: row.updatedAt, id: row.id }),
  encode: (c) => encode(`u:${c.updatedAt.toISOString()}:${c.id}`),
  decode: (value) => {
    const match = /^u:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z):([0-9a-f-]{36})$/.exec(decodeText(value) ?? '');
    if (!match) return undefined;
    const updatedAt = new Date(match[1]!);
    return Number.isNaN(updatedAt.getTime()) ? undefined : { updatedAt, id: match[2]! };
  },
};

/** Cursor codec for rows ordered by a global position. */
export const positionCursor: CursorCodec<{ position: string }, string> = {
  toCursor: (row) => row.position,
  encode: (position) => encode(`p:${position}`),
  decode: (value) => /^p:(\d{1,18})$/.exec(decodeText(value) ?? '')?.[1],
};
