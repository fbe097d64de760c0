/**
 * Entry point: `npm start`. Reads the configuration, checks the port and
 * the database, starts the server, says where it is, stops it on
 * SIGTERM/SIGINT. A start that fails is one line on stderr (src/start-errors.ts).
 *
 * Only what those checks need is imported up front: the embedded
 * PostgreSQL starts (on a fresh DATA_DIR, initdb too) in its own process
 * while the rest of the server's code loads.
 */
import { loadConfigOrExit } from './config.js';
import { createLogger } from './logger.js';
import type { App } from './server.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './services/database/embedded-postgres.js';
import { checkDatabaseUrl, checkPort, startFailureLine } from './start-errors.js';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel);

let app: App | undefined;
let embedded: Promise<EmbeddedPostgres> | undefined;
try {
  // The cheap checks first: nothing is opened or migrated for a start that cannot succeed.
  await checkPort(config.host, config.port);
  if (config.databaseUrl) await checkDatabaseUrl(config.databaseUrl);
  else embedded = startEmbeddedPostgres(config.dataDir);
  // Its failure is reported where the database is opened, below.
  embedded?.catch(() => {});
  const [{ createApp }, { readyBanner }] = await Promise.all([import('./server.js'), import('./ready-banner.js')]);
  app = await createApp(config, { logger: log, embedded });
  const { url } = await app.start();
  process.stdout.write(`\n${readyBanner(config, url, app.database.embedded).join('\n')}\n\n`);
  const started = app;
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 8_000);
    force.unref();
    started.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
} catch (error) {
  // The whole error (stack, causes) only when asked for: the terminal gets one line.
  log.debug({ err: error }, 'cannot start');
  process.stderr.write(`Cannot start: ${startFailureLine(error, config)}\n`);
  // The app stops its database; an embedded PostgreSQL started before the app existed is stopped here.
  const stopped = app ? app.stop() : (embedded?.then((cluster) => cluster.stop()) ?? Promise.resolve());
  await Promise.race([stopped.catch(() => {}), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
  process.exit(1);
}
