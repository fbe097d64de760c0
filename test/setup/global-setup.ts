/**
 * Migrates once into templates that every test file clones: a PGlite data
 * folder (copied per file) and, when PostgreSQL is reachable, a template
 * database (CREATE DATABASE ... TEMPLATE per file). Cloning is far cheaper
 * than migrating, and every file still gets a fresh database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/services/database/data-source.js';
import { adminQuery, databaseUrl, postgresReachable } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    postgresTemplate: string | null;
  }
}

export default async function setup(project: TestProject) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-run-test-'));
  const pgliteTemplate = path.join(root, 'template');
  const embedded = await openDatabase({ dataDir: pgliteTemplate });
  await embedded.close();
  project.provide('pgliteTemplate', pgliteTemplate);

  let postgresTemplate: string | null = null;
  if (await postgresReachable()) {
    postgresTemplate = `chatrun_template_${process.pid}`;
    await adminQuery(`DROP DATABASE IF EXISTS ${postgresTemplate}`);
    await adminQuery(`CREATE DATABASE ${postgresTemplate}`);
    const real = await openDatabase({ databaseUrl: databaseUrl(postgresTemplate), dataDir: root });
    await real.close();
  } else {
    process.stdout.write(
      '\n[tests] PostgreSQL is not reachable (TEST_DATABASE_URL or 127.0.0.1:5432): its tests are skipped; PGlite tests run.\n\n',
    );
  }
  project.provide('postgresTemplate', postgresTemplate);

  return async () => {
    if (postgresTemplate) await adminQuery(`DROP DATABASE IF EXISTS ${postgresTemplate} WITH (FORCE)`).catch(() => {});
    fs.rmSync(root, { recursive: true, force: true });
  };
}
