/**
 * Start-up checks and their one-line messages. Every way a start can fail
 * ends as one line on stderr naming the cause and the variable to change,
 * with no stack and no JSON, and the cheap checks (the port, the database
 * connection) run before anything is opened or migrated.
 */
import net from 'node:net';
import pg from 'pg';
import { AppError } from './services/errors.js';

/** A start-up failure whose message is the one line to print (it names the variable). */
export class StartError extends Error {
  override readonly name = 'StartError';
}

/** How long the start-up connection to DATABASE_URL may take (a firewall that drops packets). */
const DATABASE_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Binds PORT on HOST and lets it go: in use, forbidden or not an address of
 * this machine is one line, before the database is opened. (PORT=0 picks a
 * free port, nothing to check.)
 */
export async function checkPort(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen({ port, host, exclusive: true }, resolve);
    });
  } catch (error) {
    throw new StartError(describeListenError(error, host, port) ?? `PORT: cannot listen on ${host}:${port} (${oneLine(error)})`);
  } finally {
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
}

/** The line for a failed `listen`, or undefined if it is not one. */
export function describeListenError(error: unknown, host: string, port: number): string | undefined {
  switch ((error as NodeJS.ErrnoException)?.code) {
    case 'EADDRINUSE':
      return `PORT: ${port} is already in use on ${host} (another server, or another copy of this one); stop it or set PORT to a free port`;
    case 'EACCES':
      return `PORT: ${port} needs privileges to listen on; set PORT to 1024 or above`;
    case 'EADDRNOTAVAIL':
      return `HOST: ${host} is not an address of this machine`;
    default:
      return undefined;
  }
}

/** host:port/database of a DATABASE_URL: what the messages show (never the user or password). */
export function databaseTarget(url: string): string {
  if (!URL.canParse(url)) return 'the DATABASE_URL server';
  const parsed = new URL(url);
  const socketDir = parsed.searchParams.get('host');
  const host = parsed.hostname || socketDir || 'localhost';
  const database = decodeURIComponent(parsed.pathname.slice(1)) || decodeURIComponent(parsed.username) || 'postgres';
  return `${host}:${parsed.port || '5432'}/${database}`;
}

/**
 * Opens one connection to DATABASE_URL and runs `SELECT 1`, so that a closed
 * port, an unknown host, a missing database or role is one line naming
 * DATABASE_URL before the pool is built and migrations run.
 */
export async function checkDatabaseUrl(url: string): Promise<void> {
  let client: pg.Client | undefined;
  try {
    // In the try: pg parses the URL in the constructor (a bad port is a TypeError there).
    client = new pg.Client({ connectionString: url, connectionTimeoutMillis: DATABASE_CONNECT_TIMEOUT_MS });
    client.on('error', () => {});
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new StartError(describeDatabaseError(error, url));
  } finally {
    await client?.end().catch(() => {});
  }
}

/** One line for a failed connection to DATABASE_URL; the password never appears in it. */
export function describeDatabaseError(error: unknown, url: string): string {
  const target = databaseTarget(url);
  const { code, message = String(error), hostname } = (error ?? {}) as { code?: string; message?: string; hostname?: string };
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  // The resolver's own name for it: pg accepts URLs that URL does not (a space in the host).
  const host = hostname ?? (parsed?.hostname || 'localhost');
  const line = (() => {
    switch (code) {
      case 'ECONNREFUSED':
        return `nothing listens at ${target.split('/')[0]} (connection refused); is PostgreSQL running there?`;
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return `unknown host "${host}"`;
      case 'ETIMEDOUT':
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return `cannot reach ${target.split('/')[0]} (${code})`;
      case '3D000': // invalid_catalog_name
        return `database "${target.split('/').slice(1).join('/')}" does not exist on ${target.split('/')[0]}; create it (createdb) or fix the name`;
      case '28000': // invalid_authorization_specification: unknown role, no pg_hba.conf entry
      case '28P01': // invalid_password
        return `PostgreSQL at ${target.split('/')[0]} refused the login: ${message}`;
      default:
        break;
    }
    if (/timeout/i.test(message)) return `no answer from ${target.split('/')[0]} within ${DATABASE_CONNECT_TIMEOUT_MS / 1000} s`;
    if (error instanceof TypeError) return 'is not a valid URL (check the host and the port)';
    return `cannot connect to ${target} (${message})`;
  })();
  return `DATABASE_URL: ${withoutSecret(oneLine(line), parsed)}`;
}

/**
 * The line main.ts prints for any error that stops a start: a StartError or
 * AppError (their messages name the variable) as it is, a failed listen named by PORT, anything else by its
 * first line (LOG_LEVEL=debug logs the whole error).
 */
export function startFailureLine(error: unknown, where: { host: string; port: number }): string {
  if (error instanceof StartError || error instanceof AppError) return error.message;
  const listen = describeListenError(error, where.host, where.port);
  if (listen) return listen;
  return `${oneLine(error)} (LOG_LEVEL=debug logs the details)`;
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.trim() || (error as Error)?.name || 'unknown error';
}

/** Drops the URL's password from a line, should a driver ever quote it. */
function withoutSecret(line: string, url: URL | undefined): string {
  const password = url?.password ? decodeURIComponent(url.password) : '';
  return password ? line.split(password).join('***') : line;
}
