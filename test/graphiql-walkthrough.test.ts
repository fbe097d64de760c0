/**
 * GraphiQL opens with the README's walk-through: its first operation is in
 * the editor, and it is the same text as the README's step 1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_OPERATION } from '../src/graphiql-page.js';
import { startServer, type TestServer } from './helpers/server.js';

const readme = fs.readFileSync(path.resolve(import.meta.dirname, '..', 'README.md'), 'utf8');

/** The code blocks of the README's "A first chat in GraphiQL", without their list indentation. */
function walkThroughBlocks(): string[] {
  const section = readme.slice(readme.indexOf('## A first chat in GraphiQL'));
  const end = section.indexOf('\n## ', 4);
  return [...section.slice(0, end).matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => {
    const lines = match[1]!.trimEnd().split('\n');
    const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
    return lines.map((l) => l.slice(indent)).join('\n');
  });
}

describe('GraphiQL and the README walk-through', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server?.stop());

  it("the README's first operation is the one GraphiQL opens with", () => {
    expect(walkThroughBlocks()[0]).toBe(FIRST_OPERATION);
  });

  it('opens with that operation in the editor', async () => {
    const page = await fetch(server.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`"defaultQuery":${JSON.stringify(FIRST_OPERATION)}`);
  });

  it('says where the subscription variables go', () => {
    expect(readme).toMatch(/Variables\*\*\s+pane[\s\S]{0,80}"runId"/);
  });
});
