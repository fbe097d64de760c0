/**
 * The default provider from LLM_* (DESIGN.md, "Default provider"): a key
 * alone means OpenAI's API, and the server's shared provider row says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.js';

const FIELDS = 'name baseUrl defaultModel hasApiKey shared managedByConfiguration';

describe('default provider from LLM_API_KEY and LLM_MODEL alone', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: { LLM_API_KEY: 'sk-test-default-provider-key', LLM_MODEL: 'gpt-4o-mini', DEMO_MODEL: 'false' } });
  });
  afterAll(() => server?.stop());

  it("is a shared provider at OpenAI's base URL with that key and model", async () => {
    const admin = await server.token('default-provider-admin', 10);
    const { data, errors } = await server.gql(`{ providers { ${FIELDS} } }`, {}, admin);
    expect(errors).toBeUndefined();
    expect(data!.providers).toEqual([
      expect.objectContaining({
        baseUrl: 'https://api.openai.com/v1',
        defaultModel: 'gpt-4o-mini',
        hasApiKey: true,
        shared: true,
        managedByConfiguration: true,
      }),
    ]);
  });
});
