/**
 * One `openai` SDK client per provider: base URL and decrypted key. The key
 * is decrypted here, at the moment of use, and never leaves this module.
 */
import OpenAI from 'openai';
import type { Provider } from '../../entities/index.js';
import type { SecretBox } from '../secrets/secret-box.js';

export interface ClientOptions {
  maxRetries: number;
  timeoutMs: number;
}

export function createOpenAIClient(provider: Provider, secrets: SecretBox, options: ClientOptions): OpenAI {
  return new OpenAI({
    baseURL: provider.baseUrl,
    // The SDK insists on a key; local endpoints (Ollama, vLLM) ignore it.
    apiKey: provider.apiKeyCiphertext ? secrets.decrypt(provider.apiKeyCiphertext) : 'none',
    maxRetries: options.maxRetries,
    timeout: options.timeoutMs,
  });
}
