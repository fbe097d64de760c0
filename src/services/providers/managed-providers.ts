/**
 * The providers managed by configuration: the LLM_* default and the demo
 * model. They are kept in step with the configuration when an instance
 * starts and change at no other time, so the default is read once then and
 * kept.
 */
import { In, type DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { Provider } from '../../entities/index.js';
import { NoProviderError } from '../errors.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { keyColumns } from './provider-keys.js';

/**
 * Serialises sync across instances: without it, instances started together
 * on a fresh database each read "no row" and then insert, and all but one
 * fail on the unique managed_by. (The migrations hold 7343107.)
 */
const MANAGED_SYNC_LOCK = 7343108;

export interface ManagedProviderConfig {
  /** From LLM_BASE_URL / LLM_API_KEY / LLM_MODEL, when configured. */
  default?: { baseUrl: string; apiKey?: string; model: string };
  /** The built-in demo model, when DEMO_MODEL is on (served in process; its URL names no instance). */
  demo?: { baseUrl: string; model: string; thinkingParams: Record<string, unknown> };
}

type ManagedBy = 'default' | 'demo';

export class ManagedProviders {
  /** The managed rows, read once after sync. */
  private rows?: Provider[];

  constructor(
    private readonly dataSource: DataSource,
    private readonly secrets: SecretBox,
  ) {}

  /** The provider a conversation without one uses: the configured default, else the demo model. */
  async defaultProvider(): Promise<Provider> {
    this.rows ??= await this.dataSource.getRepository(Provider).findBy({ managedBy: In(['default', 'demo']) });
    const chosen = this.rows.find((p) => p.managedBy === 'default') ?? this.rows.find((p) => p.managedBy === 'demo');
    if (!chosen) throw new NoProviderError();
    return chosen;
  }

  /** Creates, updates or removes the managed rows; call at start-up. */
  async sync(config: ManagedProviderConfig): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [MANAGED_SYNC_LOCK]);
      const repo = manager.getRepository(Provider);
      for (const { managedBy, row } of this.wanted(config)) {
        const existing = await repo.findOneBy({ managedBy });
        if (!row) {
          if (existing) await repo.delete({ id: existing.id });
          continue;
        }
        if (existing) {
          await repo.update({ id: existing.id }, row as QueryDeepPartialEntity<Provider>);
        } else {
          await repo.insert({ managedBy, shared: true, ownerId: null, maxTokens: null, thinkingParams: null, ...row } as QueryDeepPartialEntity<Provider>);
        }
      }
    });
    this.rows = undefined;
  }

  /** The row each managed provider should have, or none when it is not configured. */
  private wanted(config: ManagedProviderConfig): Array<{ managedBy: ManagedBy; row?: Partial<Provider> }> {
    return [
      {
        managedBy: 'default',
        row: config.default && {
          name: 'Default',
          baseUrl: config.default.baseUrl.replace(/\/+$/, ''),
          defaultModel: config.default.model,
          ...keyColumns(this.secrets, config.default.apiKey ?? null),
        },
      },
      {
        managedBy: 'demo',
        row: config.demo && {
          name: 'Demo model',
          baseUrl: config.demo.baseUrl,
          defaultModel: config.demo.model,
          thinkingParams: config.demo.thinkingParams,
          ...keyColumns(this.secrets, null),
        },
      },
    ];
  }
}
