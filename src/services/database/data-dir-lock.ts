/**
 * One process per embedded data folder. PGlite has no server to arbitrate
 * two writers, so a second process opening the same folder would corrupt it:
 * a lock file holding the owner's pid refuses the second one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors.js';

export class DataDirLockedError extends AppError {
  readonly code = 'DATA_DIR_LOCKED';
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Folders locked by this process. The lock file holds a pid, and a file with
 * our own pid is taken over as stale (a container restart reuses pid 1), so
 * a second app in the same process must be refused from here.
 */
const heldHere = new Set<string>();

/** Takes the folder's lock or throws DataDirLockedError; returns the release function. */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, 'server.lock');
  const key = fs.realpathSync(dataDir);
  if (heldHere.has(key)) {
    throw new DataDirLockedError(`DATA_DIR ${dataDir} is in use by another server in this process; stop it or choose another DATA_DIR`);
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      heldHere.add(key);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        heldHere.delete(key);
        try {
          if (fs.readFileSync(lockPath, 'utf8') === String(process.pid)) fs.unlinkSync(lockPath);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(fs.readFileSync(lockPath, 'utf8'), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
        throw new DataDirLockedError(
          `DATA_DIR ${dataDir} is in use by another server process (pid ${owner}); stop it or choose another DATA_DIR`,
        );
      }
      // A stale lock from a process that is gone (or our own pid reused): take it over.
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new DataDirLockedError(`could not lock DATA_DIR ${dataDir}`);
}
