/** A keyset page request, decoded from a Relay connection's arguments by the caller. */
export interface KeysetPage<Cursor> {
  after?: Cursor;
  before?: Cursor;
  /** Rows to read: the page size plus one, to learn whether more exist. */
  limit: number;
  /** Read from the far end (a `last` page); rows come back in reverse order. */
  inverted: boolean;
}
