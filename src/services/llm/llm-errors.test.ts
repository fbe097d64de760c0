import crypto from 'node:crypto';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { Provider } from '../../entities/index.js';
import { createSecretBox } from '../secrets/secret-box.js';
import { scrubSecrets, toRunFailure } from './llm-errors.js';
import { providerSecrets } from './openai-client.js';

const apiError = (status: number | undefined, message: string) =>
  new OpenAI.APIError(status, { message }, undefined, new Headers() as never);

const box = createSecretBox(crypto.randomBytes(32));
const provider = (baseUrl: string, key: string | null) =>
  ({ baseUrl, apiKeyCiphertext: key === null ? null : box.encrypt(key) }) as Provider;

describe('provider error scrubbing', () => {
  it('drops the exact key, as is and percent-encoded, from an HTTP error and an in-stream error', () => {
    const key = 'Tk9+e/Wq3=Lp8&Rm2?Xc5';
    const secrets = providerSecrets(provider('https://api.example.com/v1', key), box);
    for (const status of [400, 500, undefined]) {
      const { code, message } = toRunFailure(apiError(status, `bad key ${key} or ${encodeURIComponent(key)}, sorry`), secrets);
      expect(code).toBe('PROVIDER_ERROR');
      expect(message).toContain('bad key [redacted] or [redacted], sorry');
    }
  });

  it("drops the base URL's user and password, encoded or not", () => {
    const secrets = providerSecrets(provider('https://gw%40user:p%40ss-word@gateway.example.com/v1', null), box);
    expect(secrets).toEqual(expect.arrayContaining(['gw%40user', 'gw@user', 'p%40ss-word', 'p@ss-word']));
    const { message } = toRunFailure(apiError(502, 'upstream gw@user / p@ss-word / p%40ss-word refused'), secrets);
    expect(message).not.toMatch(/gw@user|p@ss-word|p%40ss-word/);
  });

  it('drops credential shapes it was not told about', () => {
    for (const leaked of [
      'gsk_abcdefghijklmnopqrstuvwxyz012345',
      'xai-abcdefghijklmnopqrstuvwxyz',
      'hf_abcdefghijklmnopqrstuvwxyz',
      'AIzaSyD4x9Qm2Lp7Rt5Wv8Kc3Hn6Bj1Fg0TyUe',
      'sk-proj-abcdefghijklmn',
      '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    ]) {
      expect(scrubSecrets(`key ${leaked} refused`), leaked).toBe('key [redacted] refused');
    }
    expect(scrubSecrets('auth Bearer abc.def.ghi failed')).toBe('auth Bearer [redacted] failed');
    expect(scrubSecrets('cannot reach https://bob:hunter2@10.0.0.1/v1')).toBe('cannot reach https://[redacted]@10.0.0.1/v1');
  });

  it('scrubs before it cuts, so no key is left half-quoted at the end', () => {
    const key = 'Zq8mT2vLp9Xw4RkN7cYb';
    const { message } = toRunFailure(apiError(400, `${'x'.repeat(290)} ${key}`), [key]);
    expect(message).not.toContain(key.slice(0, 5));
  });

  it('keeps short secrets (they would shred the message) and plain text', () => {
    expect(scrubSecrets('a bad request', ['a'])).toBe('a bad request');
  });
});
