/**
 * One SDK client per provider version, with the secrets its errors are
 * scrubbed of: building one (and decrypting its key) per run was a visible
 * part of a run's fixed cost. An edited provider has a new updatedAt, so it
 * gets a new client; the oldest are dropped first beyond a bound.
 */
import type OpenAI from 'openai';
import type { Provider } from '../../entities/index.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { createOpenAIClient, providerSecrets } from './openai-client.js';

export interface ClientCacheOptions {
  secrets: SecretBox;
  /** The SDK's retries (LLM_MAX_RETRIES). */
  maxRetries: number;
  /** How long one attempt may wait for the response's headers. */
  timeoutMs: number;
  /** Clients kept (default 256). */
  maxClients?: number;
}

/** A provider's SDK client and the secrets its errors are scrubbed of. */
export interface ProviderClient {
  client: OpenAI;
  secrets: string[];
}

export class ClientCache {
  private readonly clients = new Map<string, ProviderClient>();

  constructor(private readonly options: ClientCacheOptions) {}

  /** The client for `provider`; `publicOnly` for a non-admin's private provider (see ClientOptions). */
  clientFor(provider: Provider, publicOnly: boolean): ProviderClient {
    const key = `${provider.id}:${provider.updatedAt.getTime()}:${publicOnly}`;
    const cached = this.clients.get(key);
    if (cached) return cached;
    const { secrets, maxRetries, timeoutMs, maxClients = 256 } = this.options;
    const client = {
      client: createOpenAIClient(provider, secrets, { maxRetries, timeoutMs, publicOnly }),
      secrets: providerSecrets(provider, secrets),
    };
    if (this.clients.size >= maxClients) {
      const oldest = this.clients.keys().next();
      if (!oldest.done) this.clients.delete(oldest.value);
    }
    this.clients.set(key, client);
    return client;
  }
}
