/**
 * The ready lines a person reads after `npm start`: the chat page, GraphiQL
 * (or that it is off), the database and the provider in use, and the
 * local-mode notice, as plain text (the JSON log is for machines).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnServer } from './helpers/process.js';
import { freshDatabase, describePostgres, TEST_SECRET } from './helpers/server.js';

/** The lines the server printed, each trimmed. */
const linesOf = (output: string) => output.split('\n').map((line) => line.trim()).filter(Boolean);

describe('the ready lines', () => {
  it('name the chat page, GraphiQL, the embedded database, the demo model and local mode, in plain text', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-run-ready-'));
    const server = await spawnServer({ DATA_DIR: dataDir, LOG_LEVEL: 'info' });
    try {
      const origin = new URL(server.url).origin;
      const lines = linesOf(server.output());
      expect(lines).toContain(`Chat page:  ${origin}/`);
      expect(lines).toContain(`GraphiQL at ${origin}/graphql`);
      expect(lines).toContain(`Database:   embedded PostgreSQL, in ${path.join(dataDir, 'postgres')} (DATA_DIR)`);
      if (process.getuid?.() === 0) expect(lines.some((line) => /^The embedded PostgreSQL runs as user \S+/.test(line))).toBe(true);
      expect(lines.find((line) => line.startsWith('Provider:'))).toMatch(/^Provider: +the built-in demo model/);
      const notice = lines.filter((line) => /local mode/i.test(line));
      expect(notice).toHaveLength(1);
      expect(notice[0]).toMatch(/^Single-user local mode: no AUTH_SECRET/);
      // The page the line names is served there.
      expect((await fetch(`${origin}/`)).status).toBe(200);
    } finally {
      server.child.kill('SIGKILL');
      await server.exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('say GraphiQL is off and name the configured provider without its credentials', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-run-ready-'));
    const server = await spawnServer({
      DATA_DIR: dataDir,
      AUTH_SECRET: TEST_SECRET,
      HOST: '127.0.0.1',
      GRAPHIQL: 'false',
      DEMO_MODEL: 'false',
      LLM_BASE_URL: 'https://llm-user:llm-password@llm.example.com/v1',
      LLM_API_KEY: 'sk-never-shown',
      LLM_MODEL: 'some-model',
    });
    try {
      const output = server.output();
      const lines = linesOf(output);
      expect(lines).toContain(`GraphQL at ${server.url} (GraphiQL is off)`);
      expect(lines).toContain('Provider:   some-model at https://llm.example.com/v1 (LLM_*)');
      expect(output).not.toMatch(/llm-password|llm-user|sk-never-shown|local mode/);
    } finally {
      server.child.kill('SIGKILL');
      await server.exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describePostgres('the ready lines with DATABASE_URL', () => {
  it('name the PostgreSQL host and database, never the password', async () => {
    const database = await freshDatabase('postgres');
    const url = new URL(database.url!);
    const server = await spawnServer(database.env);
    try {
      const lines = linesOf(server.output());
      expect(lines).toContain(`Database:   PostgreSQL at ${url.hostname}:${url.port || 5432}${url.pathname} (DATABASE_URL)`);
      if (url.password) expect(server.output()).not.toContain(url.password);
    } finally {
      server.child.kill('SIGKILL');
      await server.exited;
      await database.drop();
    }
  });
});
