/** Entry point: `npm start`. Reads the configuration, starts the server, stops it on SIGTERM/SIGINT. */
import { loadConfigOrExit } from './config.js';
import { createLogger } from './logger.js';
import { createApp } from './server.js';
import { AppError } from './services/errors.js';

const config = loadConfigOrExit();
const log = createLogger(config.logLevel);

try {
  const app = await createApp(config, { logger: log });
  const { url } = await app.start();
  process.stdout.write(
    config.graphiql
      ? `\nchat-run-server is ready: GraphiQL at ${url}\n\n`
      : `\nchat-run-server is ready: GraphQL at ${url} (GraphiQL is off)\n\n`,
  );
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 8_000);
    force.unref();
    app.stop().then(
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
  if (error instanceof AppError) {
    log.fatal(error.message);
    process.stderr.write(`Cannot start: ${error.message}\n`);
  } else {
    log.fatal({ err: error }, 'cannot start');
  }
  process.exit(1);
}
