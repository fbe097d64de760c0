/**
 * Providers: OpenAI-compatible endpoints. Shared ones are visible to all and
 * managed by admins; private ones belong to one user. The rows managed by
 * configuration (the LLM_* default and the demo model) are kept in step at
 * start-up and cannot be edited through the API. API keys are encrypted at
 * rest and write-only.
 */
import { In, type DataSource, type EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { z } from 'zod';
import { Provider } from '../../entities/index.js';
import { BadUserInputError, ForbiddenError, NoProviderError, NotFoundError } from '../errors.js';
import { createOpenAIClient } from '../llm/openai-client.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { isAdmin, type Viewer } from '../users/viewer.js';
import { parseInput, text, wellFormedText } from '../validation.js';
import { privateAddressOf } from './address-policy.js';

/** Request fields the server sets itself; thinkingParams may not override them. */
const RESERVED_PARAMS = ['model', 'messages', 'stream', 'stream_options', 'tools', 'tool_choice', 'n'];

// Well-formed before URL parsing: the parser would store a lone surrogate as %EF%BF%BD.
const baseUrl = wellFormedText(z.string().max(2000, 'must be at most 2000 characters'))
  .refine((v) => URL.canParse(v), 'must be an http(s) URL')
  .transform((v) => new URL(v))
  .refine((u) => u.protocol === 'http:' || u.protocol === 'https:', 'must be an http(s) URL')
  .refine((u) => !u.username && !u.password, 'must not contain credentials; use apiKey')
  .transform((u) => u.toString().replace(/\/+$/, ''));

const thinkingParams = z
  .record(z.string(), z.unknown(), { message: 'must be a JSON object' })
  .refine((v) => JSON.stringify(v).length <= 4000, 'must be at most 4000 characters of JSON')
  .refine((v) => !Object.keys(v).some((k) => RESERVED_PARAMS.includes(k)), {
    message: `must not set ${RESERVED_PARAMS.join(', ')}`,
  });

const fields = {
  name: text(100).trim().min(1, 'must not be empty'),
  baseUrl,
  apiKey: text(1000).min(1, 'must not be empty'),
  defaultModel: text(200).trim().min(1, 'must not be empty'),
  maxTokens: z.number().int('must be a whole number').min(1).max(10_000_000),
  thinkingParams,
};

const createSchema = z
  .object({
    name: fields.name,
    baseUrl: fields.baseUrl,
    apiKey: fields.apiKey.nullish(),
    defaultModel: fields.defaultModel,
    maxTokens: fields.maxTokens.nullish(),
    shared: z.boolean().nullish(),
    thinkingParams: fields.thinkingParams.nullish(),
  })
  .strict();

const updateSchema = z
  .object({
    name: fields.name.optional(),
    baseUrl: fields.baseUrl.optional(),
    apiKey: fields.apiKey.nullish(),
    defaultModel: fields.defaultModel.optional(),
    maxTokens: fields.maxTokens.nullish(),
    thinkingParams: fields.thinkingParams.nullish(),
  })
  .strict()
  .superRefine((v, ctx) => {
    for (const key of ['name', 'baseUrl', 'defaultModel'] as const) {
      if ((v as Record<string, unknown>)[key] === null) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'cannot be cleared' });
      }
    }
  });

export type CreateProviderInput = z.input<typeof createSchema>;
export type UpdateProviderInput = z.input<typeof updateSchema>;

/**
 * Serialises syncManaged across instances: without it, instances started
 * together on a fresh database each read "no row" and then insert, and all
 * but one fail on the unique managed_by. (The migrations hold 7343107.)
 */
const MANAGED_SYNC_LOCK = 7343108;

export interface ManagedProviderConfig {
  /** From LLM_BASE_URL / LLM_API_KEY / LLM_MODEL, when configured. */
  default?: { baseUrl: string; apiKey?: string; model: string };
  /** The built-in demo model, when DEMO_MODEL is on (served in process; its URL names no instance). */
  demo?: { baseUrl: string; model: string };
}

export interface ProviderServiceOptions {
  allowPrivateAddresses: boolean;
  /** How long `models()` answers are reused. */
  modelsCacheMs?: number;
}

/** The URL without its user and password (LLM_BASE_URL may carry them); '' if it is not a URL. */
export function withoutCredentials(url: string): string {
  if (!URL.canParse(url)) return '';
  const parsed = new URL(url);
  if (!parsed.username && !parsed.password) return url;
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

/** At most 4 characters, and never more than a quarter of the key. */
export function apiKeyHint(key: string): string | null {
  const length = Math.min(4, Math.floor(key.length / 4));
  return length > 0 ? key.slice(-length) : null;
}

export class ProviderService {
  /** The configuration-managed rows, read once after syncManaged. */
  private managed?: Provider[];
  private readonly modelsCache = new Map<string, { version: number; at: number; models: Promise<string[]> }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly secrets: SecretBox,
    private readonly options: ProviderServiceOptions,
  ) {}

  private get repo() {
    return this.dataSource.getRepository(Provider);
  }

  private visibleQuery(viewer: Viewer) {
    return this.repo
      .createQueryBuilder('p')
      .where('(p.shared OR p.owner_id = :viewerId)', { viewerId: viewer.id });
  }

  /** Shared providers first, then the viewer's own, each by name. */
  async list(viewer: Viewer): Promise<Provider[]> {
    return this.visibleQuery(viewer).orderBy('p.shared', 'DESC').addOrderBy('p.name', 'ASC').addOrderBy('p.id').getMany();
  }

  async byIds(viewer: Viewer, ids: readonly string[]): Promise<Provider[]> {
    return this.visibleQuery(viewer).andWhere('p.id = ANY(:ids)', { ids }).getMany();
  }

  /** A provider the viewer may use, or NotFoundError. */
  async get(viewer: Viewer, id: string): Promise<Provider> {
    const [found] = await this.byIds(viewer, [id]);
    if (!found) throw new NotFoundError('provider');
    return found;
  }

  async create(viewer: Viewer, input: CreateProviderInput): Promise<Provider> {
    const values = parseInput(createSchema, input);
    const shared = values.shared ?? false;
    if (shared && !isAdmin(viewer)) throw new ForbiddenError('Only admins may create shared providers.');
    if (!isAdmin(viewer)) await this.checkAddress(values.baseUrl);
    const saved = await this.repo.save(
      this.repo.create({
        ownerId: shared ? null : viewer.id,
        shared,
        managedBy: null,
        name: values.name,
        baseUrl: values.baseUrl,
        ...this.keyColumns(values.apiKey ?? null),
        defaultModel: values.defaultModel,
        maxTokens: values.maxTokens ?? null,
        thinkingParams: values.thinkingParams ?? null,
      }),
    );
    return this.repo.findOneByOrFail({ id: saved.id });
  }

  /** Omitted fields stay; `apiKey: null` removes the key; null clears maxTokens and thinkingParams. */
  async update(viewer: Viewer, id: string, input: UpdateProviderInput): Promise<Provider> {
    const values = parseInput(updateSchema, input);
    const provider = await this.editable(viewer, id);
    if (values.baseUrl !== undefined && !isAdmin(viewer)) await this.checkAddress(values.baseUrl);
    const changes: Partial<Provider> = {};
    if (values.name !== undefined) changes.name = values.name;
    if (values.baseUrl !== undefined) changes.baseUrl = values.baseUrl;
    if (values.defaultModel !== undefined) changes.defaultModel = values.defaultModel;
    if (values.maxTokens !== undefined) changes.maxTokens = values.maxTokens;
    if (values.thinkingParams !== undefined) changes.thinkingParams = values.thinkingParams;
    if (values.apiKey !== undefined) Object.assign(changes, this.keyColumns(values.apiKey));
    if (Object.keys(changes).length > 0) await this.repo.update({ id: provider.id }, changes as QueryDeepPartialEntity<Provider>);
    this.modelsCache.delete(provider.id);
    return this.repo.findOneByOrFail({ id: provider.id });
  }

  /** Deletes a provider; its conversations fall back to the default (FK sets null). */
  async delete(viewer: Viewer, id: string): Promise<string> {
    const provider = await this.editable(viewer, id);
    await this.repo.delete({ id: provider.id });
    this.modelsCache.delete(provider.id);
    return provider.id;
  }

  /** The provider a conversation without one uses: the configured default, else the demo model. */
  async defaultProvider(manager?: EntityManager): Promise<Provider> {
    // The managed rows change only when an instance starts (syncManaged): read them once then.
    if (!this.managed) {
      const repo = manager ? manager.getRepository(Provider) : this.repo;
      this.managed = await repo.findBy({ managedBy: In(['default', 'demo']) });
    }
    const chosen = this.managed.find((p) => p.managedBy === 'default') ?? this.managed.find((p) => p.managedBy === 'demo');
    if (!chosen) throw new NoProviderError();
    return chosen;
  }

  /**
   * Whether requests to this provider may reach only public addresses: a
   * non-admin's private provider, unless PROVIDER_ALLOW_PRIVATE. (Only its
   * owner can use a private provider, so `user` is its owner.)
   */
  publicOnly(provider: Provider, user: { permissionLevel: number }): boolean {
    return !provider.shared && !this.options.allowPrivateAddresses && !isAdmin(user);
  }

  /** The endpoint's models (GET /models), cached briefly; empty when the endpoint cannot say. */
  models(viewer: Viewer, provider: Provider): Promise<string[]> {
    const version = provider.updatedAt.getTime();
    const cached = this.modelsCache.get(provider.id);
    const ttl = this.options.modelsCacheMs ?? 60_000;
    if (cached && cached.version === version && cached.at > Date.now() - ttl) return cached.models;
    const models = this.fetchModels(provider, this.publicOnly(provider, viewer));
    this.modelsCache.set(provider.id, { version, at: Date.now(), models });
    return models;
  }

  private async fetchModels(provider: Provider, publicOnly: boolean): Promise<string[]> {
    try {
      const client = createOpenAIClient(provider, this.secrets, { maxRetries: 0, timeoutMs: 5_000, publicOnly });
      const ids: string[] = [];
      for await (const model of client.models.list()) {
        ids.push(model.id);
        if (ids.length >= 1000) break;
      }
      return ids.sort();
    } catch {
      return [];
    }
  }

  /**
   * The base URL as `viewer` may see it. A shared provider's address is
   * often internal (Ollama beside the server, a gateway with credentials in
   * LLM_BASE_URL): only admins see it, others get '' (the contract's
   * `baseUrl` is non-null). Nobody sees the user and password of a URL.
   */
  visibleBaseUrl(viewer: Viewer, provider: Provider): string {
    if (provider.shared && !isAdmin(viewer)) return '';
    return withoutCredentials(provider.baseUrl);
  }

  /** Creates, updates or removes the configuration-managed rows; call at start-up. */
  async syncManaged(config: ManagedProviderConfig): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [MANAGED_SYNC_LOCK]);
      const repo = manager.getRepository(Provider);
      const wanted: Array<{ managedBy: 'default' | 'demo'; row?: Partial<Provider> }> = [
        {
          managedBy: 'default',
          row: config.default && {
            name: 'Default',
            baseUrl: config.default.baseUrl.replace(/\/+$/, ''),
            defaultModel: config.default.model,
            ...this.keyColumns(config.default.apiKey ?? null),
          },
        },
        {
          managedBy: 'demo',
          row: config.demo && {
            name: 'Demo model',
            baseUrl: config.demo.baseUrl,
            defaultModel: config.demo.model,
            ...this.keyColumns(null),
          },
        },
      ];
      for (const { managedBy, row } of wanted) {
        const existing = await repo.findOneBy({ managedBy });
        if (!row) {
          if (existing) await repo.delete({ id: existing.id });
          continue;
        }
        if (existing) {
          await repo.update({ id: existing.id }, row as QueryDeepPartialEntity<Provider>);
        } else {
          await repo.insert({ ...row, managedBy, shared: true, ownerId: null, maxTokens: null, thinkingParams: null });
        }
      }
    });
    this.modelsCache.clear();
    this.managed = undefined;
  }

  private keyColumns(apiKey: string | null): Pick<Provider, 'apiKeyCiphertext' | 'apiKeyHint'> {
    return apiKey
      ? { apiKeyCiphertext: this.secrets.encrypt(apiKey), apiKeyHint: apiKeyHint(apiKey) }
      : { apiKeyCiphertext: null, apiKeyHint: null };
  }

  /** The provider if the viewer may change it: NOT_FOUND if invisible, FORBIDDEN if shared or managed. */
  private async editable(viewer: Viewer, id: string): Promise<Provider> {
    const provider = await this.get(viewer, id);
    if (provider.managedBy) {
      throw new ForbiddenError('This provider is managed by configuration (LLM_* and DEMO_MODEL); change it there.');
    }
    if (provider.shared && !isAdmin(viewer)) throw new ForbiddenError('Only admins may change shared providers.');
    return provider;
  }

  private async checkAddress(url: string): Promise<void> {
    if (this.options.allowPrivateAddresses) return;
    const address = await privateAddressOf(new URL(url));
    if (address !== undefined) {
      throw new BadUserInputError(
        'baseUrl: resolves to a loopback, link-local or private address, which only admins may use (or the operator with PROVIDER_ALLOW_PRIVATE=true)',
      );
    }
  }
}
