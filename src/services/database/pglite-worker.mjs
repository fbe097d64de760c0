/**
 * The embedded database's own thread: one PGlite instance that answers
 * `{ id, sql, params }` messages with `{ id, result }` or `{ id, error }`.
 * Plain JavaScript because a worker thread does not inherit the TypeScript
 * loader the server runs under. See pglite-thread.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, types } from '@electric-sql/pglite';

/** A database error's fields (code, constraint, detail, ...) survive the trip as plain data. */
function plainError(error) {
  const fields = { message: error instanceof Error ? error.message : String(error) };
  if (error && typeof error === 'object') {
    for (const [key, value] of Object.entries(error)) {
      if (value === undefined || typeof value === 'function') continue;
      try {
        structuredClone(value);
        fields[key] = value;
      } catch {
        // not transferable: left out
      }
    }
  }
  return fields;
}

const db = new PGlite({
  dataDir: workerData.dataDir,
  // Same shapes as `pg`: 64-bit integers and numerics stay strings.
  parsers: { [types.INT8]: (v) => v, [types.NUMERIC]: (v) => v },
});

try {
  await db.waitReady;
  parentPort.postMessage({ ready: true });
} catch (error) {
  parentPort.postMessage({ fatal: plainError(error) });
}

parentPort.on('message', async (message) => {
  if (message.close) {
    await db.close().catch(() => {});
    parentPort.postMessage({ closed: true });
    return;
  }
  try {
    const result = await db.query(message.sql, message.params);
    parentPort.postMessage({ id: message.id, result: { rows: result.rows, affectedRows: result.affectedRows, fields: result.fields } });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: plainError(error) });
  }
});
