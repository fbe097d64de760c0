/**
 * Opens the database: the PostgreSQL server at DATABASE_URL, otherwise the
 * embedded PostgreSQL this server runs under DATA_DIR (embedded-postgres.ts).
 * Either way one code path: the `pg` driver, the same entities and
 * migrations. Migrations run here under an advisory lock, never `synchronize`.
 */
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import { entities, migrations } from '../../entities/index.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';

export interface DatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
  /** Called with every SQL statement the server sends (metrics, tests). */
  onQuery?: (sql: string) => void;
  /** The embedded cluster for `dataDir`, already being started (the entry point starts it while the server's code loads). */
  embedded?: Promise<EmbeddedPostgres>;
}

export interface Database {
  dataSource: DataSource;
  /** The embedded cluster this server runs, when it runs one. */
  embedded?: EmbeddedPostgres;
  close(): Promise<void>;
}

function queryLogger(onQuery?: (sql: string) => void): TypeOrmLogger {
  const noop = () => {};
  return {
    logQuery: (sql) => onQuery?.(sql),
    logQueryError: noop,
    logQuerySlow: noop,
    logSchemaBuild: noop,
    logMigration: noop,
    log: noop,
  };
}

/** Opens, migrates and returns the database; throws if it cannot. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const common = {
    type: 'postgres' as const,
    entities,
    migrations,
    migrationsRun: false,
    synchronize: false,
    installExtensions: false,
    logging: true as const,
    logger: queryLogger(options.onQuery),
  };

  const embedded = options.databaseUrl ? undefined : await (options.embedded ?? startEmbeddedPostgres(options.dataDir));
  try {
    const dataSource = new DataSource({
      ...common,
      url: options.databaseUrl ?? embedded!.url,
      applicationName: 'chat-run-server',
      extra: { max: 10 },
    });
    await dataSource.initialize();
    await migrateExclusively(dataSource);
    return {
      dataSource,
      embedded,
      close: async () => {
        await dataSource.destroy();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

/** Several instances may start at once against one PostgreSQL: one migrates, the others wait. */
async function migrateExclusively(dataSource: DataSource): Promise<void> {
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock(7343107)');
    await migrate(dataSource);
  } finally {
    await lock.query('SELECT pg_advisory_unlock(7343107)').catch(() => {});
    await lock.release();
  }
}

async function migrate(dataSource: DataSource): Promise<void> {
  // One transaction for all pending migrations: a failure leaves the schema as it was.
  await dataSource.runMigrations({ transaction: 'all' });
}
