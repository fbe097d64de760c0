/**
 * A shared provider's API key never reaches the users of that provider:
 * whatever the provider says (an HTTP error body, an in-stream error) is
 * scrubbed of the exact key, in every shape providers use, before it
 * becomes a run's error message or ErrorStep, and no log line holds it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatRequests, keyOf, startFakeLlm, text, type FakeLlm, type RecordedRequest, type Turn } from './fixtures/fake-llm.js';
import { chat, readRun, startChatServer } from './helpers/chat.js';
import { captureLog } from './helpers/log.js';
import { expectRunFailed } from './helpers/runs.js';
import type { TestServer } from './helpers/server.js';

const KEYS = {
  groq: `gsk_${'Gq7xW2pLm9Rt4YvB8nKc3Hs6'.repeat(2)}abcd`,
  google: 'AIzaSyD4x9Qm2Lp7Rt5Wv8Kc3Hn6Bj1Fg0TyUe',
  xai: `xai-${'Xa9Lm2Qp7Rt5Wv8Kc3Hn6Bj1Fg0TyUeZd4'.repeat(2)}`,
  huggingface: 'hf_Qm2Lp7Rt5Wv8Kc3Hn6Bj1Fg0TyUeZd4XaBc',
  hex: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  // No known shape: only the exact key catches it.
  plain: 'Zq8mT2vLp9Xw4RkN7cYb',
  // Quoted percent-encoded by the provider.
  encoded: 'Tk9+e/Wq3=Lp8&Rm2?Xc5',
};

/** What a careless provider says: the key it was sent, as is and percent-encoded. */
const quoting = (request: RecordedRequest) => {
  const key = keyOf(request);
  return `Model not available for key ${key} (${encodeURIComponent(key)}); check your plan`;
};

const FAULTS: { name: string; turn: Turn; code: string }[] = [
  { name: 'HTTP 400', turn: { type: 'http', status: 400, bodyOf: (r) => ({ error: { message: quoting(r), type: 'invalid_request_error' } }) }, code: 'PROVIDER_ERROR' },
  { name: 'HTTP 500', turn: { type: 'http', status: 500, bodyOf: (r) => ({ error: { message: quoting(r), type: 'server_error' } }) }, code: 'PROVIDER_ERROR' },
  { name: 'in-stream error', turn: text('some words first', { fault: { after: 2, kind: 'error', message: quoting } }), code: 'PROVIDER_ERROR' },
];

describe('provider keys in provider errors', () => {
  const log = captureLog('debug');
  let fake: FakeLlm;
  let server: TestServer;
  let admin: string;
  let user: string;
  beforeAll(async () => {
    fake = await startFakeLlm();
    // No retries: each fault is one request.
    server = await startChatServer(fake, { env: { LLM_MAX_RETRIES: '0' }, logger: log.logger });
    admin = await server.token('keys-admin', 10);
    user = await server.token('keys-user', 1);
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
  });

  for (const [shape, key] of Object.entries(KEYS)) {
    it(`never shows a non-admin the shared provider's ${shape} key`, async () => {
      const created = await server.gql(
        `mutation ($input: CreateProviderInput!) { createProvider(input: $input) { id } }`,
        { input: { name: `Shared ${shape}`, baseUrl: fake.url, apiKey: key, defaultModel: 'fake-model', shared: true } },
        admin,
      );
      expect(created.errors).toBeUndefined();
      const conversation = await server.gql(
        `mutation ($p: ID!) { createConversation(input: { providerId: $p }) { id } }`,
        { p: created.data!.createProvider.id },
        user,
      );
      const conversationId = conversation.data!.createConversation.id as string;
      for (const fault of FAULTS) {
        fake.enqueue(fault.turn);
        const result = await chat(server, user, { conversationId, text: `hello (${fault.name})` });
        // The provider did get the key, and did quote it.
        expect(keyOf(chatRequests(fake).at(-1)!)).toBe(key);
        const { last } = await expectRunFailed(server, user, result, fault.code, fault.name === 'in-stream error' ? 'some ' : null);
        const run = await readRun(server, user, result.runId);
        for (const message of [last.message, run.error.message]) {
          expect(message, fault.name).toContain('[redacted]');
          expect(message, fault.name).toContain('check your plan');
          expect(message, fault.name).not.toContain(key);
          expect(message, fault.name).not.toContain(encodeURIComponent(key));
        }
      }
      const logged = log.lines.join('\n');
      expect(logged).not.toContain(key);
      expect(logged).not.toContain(encodeURIComponent(key));
    });
  }
});
