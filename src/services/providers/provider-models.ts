/**
 * The models a provider's endpoint offers (GET /models), cached briefly per
 * provider and version: a settings page asking again is not a request to
 * the provider each time.
 */
import type { Provider } from '../../entities/index.js';
import type { ClientCache } from '../llm/client-cache.js';

export class ProviderModels {
  private readonly cache = new Map<string, { version: number; at: number; models: Promise<string[]> }>();

  constructor(
    /** The runs' SDK clients: a models list needs no client of its own. */
    private readonly clients: ClientCache,
    /** How long an answer is reused. */
    private readonly ttlMs = 60_000,
  ) {}

  /** The endpoint's models, sorted; empty when the endpoint cannot say. */
  models(provider: Provider, publicOnly: boolean): Promise<string[]> {
    const version = provider.updatedAt.getTime();
    const cached = this.cache.get(provider.id);
    if (cached && cached.version === version && cached.at > Date.now() - this.ttlMs) return cached.models;
    const models = this.fetchModels(provider, publicOnly);
    this.cache.set(provider.id, { version, at: Date.now(), models });
    return models;
  }

  /** Drops the answer for a provider that changed or is gone. */
  forget(providerId: string): void {
    this.cache.delete(providerId);
  }

  clear(): void {
    this.cache.clear();
  }

  private async fetchModels(provider: Provider, publicOnly: boolean): Promise<string[]> {
    try {
      const { client } = this.clients.clientFor(provider, publicOnly);
      const ids: string[] = [];
      // A settings page waits on it: one attempt, 5 s at most.
      for await (const model of client.models.list({ maxRetries: 0, timeout: 5_000 })) {
        ids.push(model.id);
        if (ids.length >= 1000) break;
      }
      return ids.sort();
    } catch {
      return [];
    }
  }
}
