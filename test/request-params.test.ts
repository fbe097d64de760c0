/**
 * Malformed `variables` or `extensions` parameters (GET query string,
 * form-urlencoded POST) are the client's error: 400 BAD_REQUEST with a JSON
 * body holding `errors`, never a masked INTERNAL_SERVER_ERROR.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend, startServer, type TestServer } from './helpers/server.js';

describeEachBackend('malformed request parameters', (backend) => {
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    server = await startServer({ backend });
    token = await server.token('params-user');
  });
  afterAll(async () => {
    await server?.stop();
  });

  const query = encodeURIComponent('{ viewer { id } }');
  const cases: [string, () => RequestInit & { url?: string }][] = [
    ['GET variables', () => ({ url: `?query=${query}&variables=notjson` })],
    ['GET extensions', () => ({ url: `?query=${query}&extensions=%7B` })],
    ['form variables', () => ({ method: 'POST', body: `query=${query}&variables=%5B%7B`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })],
  ];
  for (const [name, make] of cases) {
    it(`${name}: 400 BAD_REQUEST`, async () => {
      const { url = '', headers, ...init } = make();
      const response = await fetch(server.url + url, {
        ...init,
        headers: { accept: 'application/json', authorization: `Bearer ${token}`, ...(headers as Record<string, string>) },
      });
      const body = (await response.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
      expect(response.status).toBe(400);
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
      expect(body.errors?.[0]?.message).toMatch(/not valid JSON/);
    });
  }

  it('does not echo the parameter text back', async () => {
    const secret = 'sk-params-secret-0123456789';
    for (const variables of [secret, `{"apiKey": ${secret}}`, `{"text": "${secret}"} x`]) {
      const response = await fetch(`${server.url}?query=${query}&variables=${encodeURIComponent(variables)}`, {
        headers: { accept: 'application/json', authorization: `Bearer ${token}` },
      });
      expect(response.status, variables).toBe(400);
      const text = await response.text();
      expect(text, variables).toMatch(/not valid JSON/);
      // Not even the first characters of it.
      expect(text, variables).not.toContain('sk-');
    }
  });

  it('well-formed parameters still answer', async () => {
    const response = await fetch(`${server.url}?query=${query}&variables=%7B%7D`, {
      headers: { accept: 'application/json', authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as any).data.viewer.id).toBeTruthy();
  });
});
