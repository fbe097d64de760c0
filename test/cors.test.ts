/** CORS_ORIGINS: any origin in local mode, none otherwise unless listed. */
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.js';

async function preflight(server: TestServer, origin: string) {
  const response = await fetch(server.url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
  });
  return response.headers.get('access-control-allow-origin');
}

describe('CORS', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('allows any origin in local mode', async () => {
    server = await startServer({ local: true });
    expect(await preflight(server, 'http://localhost:5173')).toMatch(/^(\*|http:\/\/localhost:5173)$/);
  });

  it('allows no origin with AUTH_SECRET unless listed', async () => {
    server = await startServer();
    expect(await preflight(server, 'http://evil.example')).toBeNull();
  });

  it('allows exactly the listed origins', async () => {
    server = await startServer({ env: { CORS_ORIGINS: 'https://app.example, https://admin.example' } });
    expect(await preflight(server, 'https://app.example')).toBe('https://app.example');
    expect(await preflight(server, 'https://admin.example')).toBe('https://admin.example');
    expect(await preflight(server, 'https://evil.example')).toBeNull();
  });
});
