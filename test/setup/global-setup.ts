/**
 * One embedded PostgreSQL cluster for the whole run, and a template
 * database migrated once in it that every test file clones (CREATE
 * DATABASE … TEMPLATE); the same on an external PostgreSQL when one is
 * reachable. Cloning is far cheaper than migrating, and every file still
 * gets a fresh database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/services/database/data-source.js';
import { startEmbeddedPostgres } from '../../src/services/database/embedded-postgres.js';
import { adminQuery, databaseUrl, POSTGRES_ADMIN_URL, postgresReachable } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's embedded cluster: its admin URL (database postgres) and the migrated template's name. */
    embeddedAdminUrl: string;
    embeddedTemplate: string;
    /** The external PostgreSQL's template, when one is reachable. */
    postgresTemplate: string | null;
  }
}

const TEMPLATE = 'chatrun_template';

export default async function setup(project: TestProject) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-run-test-'));
  const cluster = await startEmbeddedPostgres(path.join(root, 'embedded'));
  await adminQuery(`CREATE DATABASE ${TEMPLATE}`, cluster.url);
  const migrated = await openDatabase({ databaseUrl: databaseUrl(TEMPLATE, cluster.url), dataDir: root });
  await migrated.close();
  project.provide('embeddedAdminUrl', cluster.url);
  project.provide('embeddedTemplate', TEMPLATE);

  let postgresTemplate: string | null = null;
  if (await postgresReachable()) {
    postgresTemplate = `chatrun_template_${process.pid}`;
    await adminQuery(`DROP DATABASE IF EXISTS ${postgresTemplate}`, POSTGRES_ADMIN_URL);
    await adminQuery(`CREATE DATABASE ${postgresTemplate}`, POSTGRES_ADMIN_URL);
    const real = await openDatabase({ databaseUrl: databaseUrl(postgresTemplate, POSTGRES_ADMIN_URL), dataDir: root });
    await real.close();
  } else {
    process.stdout.write(
      '\n[tests] No external PostgreSQL (TEST_DATABASE_URL or 127.0.0.1:5432): its tests are skipped; the embedded PostgreSQL tests run.\n\n',
    );
  }
  project.provide('postgresTemplate', postgresTemplate);

  return async () => {
    if (postgresTemplate) await adminQuery(`DROP DATABASE IF EXISTS ${postgresTemplate} WITH (FORCE)`, POSTGRES_ADMIN_URL).catch(() => {});
    await cluster.stop();
    fs.rmSync(root, { recursive: true, force: true });
  };
}
