/**
 * Opens the database: PostgreSQL through `pg` with DATABASE_URL, otherwise an
 * embedded PGlite under DATA_DIR. Same entities, same migrations, one code path
 * above this module. Migrations run here, never `synchronize`.
 */
import path from 'node:path';
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import { entities, migrations } from '../../entities/index.js';
import { lockDataDir } from './data-dir-lock.js';
import { pgliteDriver } from './pglite-pool.js';
import { PgliteThread } from './pglite-thread.js';

export interface DatabaseOptions {
  databaseUrl?: string;
  dataDir: string;
  /** Called with every SQL statement the server sends (metrics, tests). */
  onQuery?: (sql: string) => void;
}

export interface Database {
  dataSource: DataSource;
  kind: 'postgres' | 'pglite';
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

  if (options.databaseUrl) {
    const dataSource = new DataSource({
      ...common,
      url: options.databaseUrl,
      applicationName: 'chat-run-server',
      extra: { max: 10 },
    });
    await dataSource.initialize();
    await migrateExclusively(dataSource);
    return { dataSource, kind: 'postgres', close: () => dataSource.destroy() };
  }

  const unlock = lockDataDir(options.dataDir);
  let pglite: PgliteThread | undefined;
  try {
    pglite = await PgliteThread.open(path.join(options.dataDir, 'pgdata'));
    const dataSource = new DataSource({ ...common, driver: pgliteDriver(pglite), database: 'postgres' });
    await dataSource.initialize();
    await migrate(dataSource);
    return {
      dataSource,
      kind: 'pglite',
      close: async () => {
        await dataSource.destroy();
        await pglite!.close();
        unlock();
      },
    };
  } catch (error) {
    await pglite?.close();
    unlock();
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
