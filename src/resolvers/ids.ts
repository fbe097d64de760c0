/**
 * Global ids: opaque `base64("Type:uuid")`. Decoding never throws: a
 * malformed id, an id of another type, or a non-UUID answers undefined, and
 * callers treat that exactly like an id that does not exist.
 */
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { NotFoundError } from '../services/errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type NodeTypename = 'User' | 'Conversation' | 'Message' | 'Run' | 'Provider';

export function toGlobalId(typename: NodeTypename, id: string): string {
  return encodeGlobalID(typename, id);
}

/** The typename and row id of a global id, or undefined if it is not one of ours. */
export function parseGlobalId(globalId: string): { typename: string; id: string } | undefined {
  try {
    const decoded = decodeGlobalID(globalId);
    if (!UUID.test(decoded.id)) return undefined;
    if (toGlobalId(decoded.typename as NodeTypename, decoded.id) !== globalId) return undefined;
    return decoded;
  } catch {
    return undefined;
  }
}

/** The row id behind a global id of the given type, or undefined. */
export function rowId(globalId: string, typename: NodeTypename): string | undefined {
  const parsed = parseGlobalId(globalId);
  return parsed?.typename === typename ? parsed.id : undefined;
}

/** The row id behind a global id of the given type, or NOT_FOUND (for mutations). */
export function requireRowId(globalId: string, typename: NodeTypename): string {
  const id = rowId(globalId, typename);
  if (!id) throw new NotFoundError(typename.toLowerCase());
  return id;
}
