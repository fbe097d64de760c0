/**
 * GraphQL over HTTP conformance: graphql-http's server audits against the
 * real server, every request carrying a valid bearer token. Every MUST audit
 * is one test; SHOULD (and MAY) audits are collected and printed with their
 * reasons (the README lists the failing SHOULDs and why).
 */
import { serverAudits, type AuditResult } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let token: string;

const authedFetch: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

const audits = serverAudits({ url: () => server.url, fetchFn: authedFetch });
const musts = audits.filter((audit) => audit.name.startsWith('MUST'));
const others = audits.filter((audit) => !audit.name.startsWith('MUST'));

async function reasonOf(result: AuditResult): Promise<string> {
  if (result.status === 'ok') return '';
  let body = '';
  try {
    body = (await result.response.text()).slice(0, 300);
  } catch {
    // the audit already read it
  }
  return `${result.reason}${body ? ` — response: ${body}` : ''}`;
}

describe('GraphQL over HTTP (graphql-http server audits)', () => {
  beforeAll(async () => {
    server = await startServer();
    token = await server.token('auditor', 1, 'Auditor');
  });
  afterAll(async () => {
    await server?.stop();
  });

  const mustPassed: string[] = [];
  for (const audit of musts) {
    it(audit.name, async () => {
      const result = await audit.fn();
      expect(result.status, await reasonOf(result)).toBe('ok');
      mustPassed.push(audit.id);
    });
  }

  it('reports the SHOULD and MAY audits', async () => {
    const lines: string[] = [];
    let shouldTotal = 0;
    let shouldPassed = 0;
    let mayPassed = 0;
    for (const audit of others) {
      const result = await audit.fn();
      const should = audit.name.startsWith('SHOULD');
      if (should) shouldTotal++;
      if (result.status === 'ok') {
        if (should) shouldPassed++;
        else mayPassed++;
        continue;
      }
      lines.push(`  ✗ [${audit.id}] ${audit.name}\n      ${await reasonOf(result)}`);
    }
    process.stdout.write(
      `\n[graphql-http audits] MUST ${mustPassed.length}/${musts.length} passed; ` +
        `SHOULD ${shouldPassed}/${shouldTotal} passed; MAY ${mayPassed}/${others.length - shouldTotal} passed` +
        (lines.length ? `; not met:\n${lines.join('\n')}\n` : '\n'),
    );
    expect(shouldTotal).toBeGreaterThan(0);
  });
});
