/**
 * One run of a PostgreSQL process from the embedded binaries: `postgres`
 * started detached and watched until it accepts connections, stopped fast
 * (SIGINT, then SIGKILL), and `initdb`-style commands run to their end. A
 * failure is reported in PostgreSQL's own words.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import pg from 'pg';
import { AppError } from '../errors.js';
import type { RunAs } from './run-as.js';

export class EmbeddedDatabaseError extends AppError {
  readonly code = 'EMBEDDED_DATABASE';
}

/** One run of the postmaster. */
export interface Launched {
  url: string;
  port: number;
  pid: number;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
export const STOP_TIMEOUT_MS = 15_000;

export interface LaunchOptions {
  dataDir: string;
  clusterDir: string;
  as: RunAs;
  postgres: string;
  port: number;
  password: string;
}

/** PostgreSQL could not bind its port: another process took it after the probe. */
export class PortTakenError extends Error {}

/** Starts `postgres` on `port`; resolves once it accepts connections. Throws PortTakenError or EmbeddedDatabaseError. */
export async function launch({ dataDir, clusterDir, as, postgres, port, password }: LaunchOptions): Promise<Launched> {
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
    // Reads go through the backend itself instead of PostgreSQL 18's three I/O worker processes, and no
    // logical replication launcher runs: fewer idle processes for a database of one server.
    '-c',
    'io_method=sync',
    '-c',
    'max_logical_replication_workers=0',
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
export function freePort(): Promise<number> {
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

export function runToEnd([file, args, options]: ReturnType<RunAs['command']>): Promise<{ code: number | null; output: string[] }> {
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
export function lastWords(output: string[]): string {
  const serious = output.filter((line) => /\b(FATAL|PANIC|ERROR|error):/.test(line));
  const chosen = (serious.length > 0 ? serious.slice(-2) : output.slice(-1)).map((line) =>
    line.replace(/^\S+ \S+ \S+ \[\d+\] /, '').trim(),
  );
  return chosen.join(' ') || 'it exited without saying why';
}
