/**
 * Providers: OpenAI-compatible endpoints. Shared ones are visible to all and
 * managed by admins; private ones belong to one user. API keys are
 * encrypted at rest and write-only. This module owns who may see and change
 * which row; the rows managed by configuration (managed-providers.ts), the
 * input rules (provider-input.ts), the address policy (address-policy.ts)
 * and the models list (provider-models.ts) live beside it.
 */
import type { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { Provider } from '../../entities/index.js';
import { ForbiddenError, NotFoundError } from '../errors.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { isAdmin, type Viewer } from '../users/viewer.js';
import { parseInput } from '../validation.js';
import { assertPublicBaseUrl } from './address-policy.js';
import { ManagedProviders, type ManagedProviderConfig } from './managed-providers.js';
import { createSchema, updateSchema, type CreateProviderInput, type UpdateProviderInput } from './provider-input.js';
import { keyColumns, withoutCredentials } from './provider-keys.js';
import type { ClientCache } from '../llm/client-cache.js';
import { ProviderModels } from './provider-models.js';

export interface ProviderServiceOptions {
  allowPrivateAddresses: boolean;
  /** The SDK clients, shared with the runs. */
  clients: ClientCache;
  /** How long `models()` answers are reused. */
  modelsCacheMs?: number;
}

export class ProviderService {
  private readonly managed: ManagedProviders;
  private readonly catalog: ProviderModels;

  constructor(
    private readonly dataSource: DataSource,
    private readonly secrets: SecretBox,
    private readonly options: ProviderServiceOptions,
  ) {
    this.managed = new ManagedProviders(dataSource, secrets);
    this.catalog = new ProviderModels(options.clients, options.modelsCacheMs);
  }

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

  /** Throws BadUserInputError, ForbiddenError (a shared provider by a non-admin). */
  async create(viewer: Viewer, input: CreateProviderInput): Promise<Provider> {
    const values = parseInput(createSchema, input);
    const shared = values.shared ?? false;
    if (shared && !isAdmin(viewer)) throw new ForbiddenError('Only admins may create shared providers.');
    if (!isAdmin(viewer)) await assertPublicBaseUrl(values.baseUrl, this.options.allowPrivateAddresses);
    const saved = await this.repo.save(
      this.repo.create({
        ownerId: shared ? null : viewer.id,
        shared,
        managedBy: null,
        name: values.name,
        baseUrl: values.baseUrl,
        ...keyColumns(this.secrets, values.apiKey ?? null),
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
    if (values.baseUrl !== undefined && !isAdmin(viewer)) await assertPublicBaseUrl(values.baseUrl, this.options.allowPrivateAddresses);
    const changes: Partial<Provider> = {};
    if (values.name !== undefined) changes.name = values.name;
    if (values.baseUrl !== undefined) changes.baseUrl = values.baseUrl;
    if (values.defaultModel !== undefined) changes.defaultModel = values.defaultModel;
    if (values.maxTokens !== undefined) changes.maxTokens = values.maxTokens;
    if (values.thinkingParams !== undefined) changes.thinkingParams = values.thinkingParams;
    if (values.apiKey !== undefined) Object.assign(changes, keyColumns(this.secrets, values.apiKey));
    if (Object.keys(changes).length > 0) await this.repo.update({ id: provider.id }, changes as QueryDeepPartialEntity<Provider>);
    this.catalog.forget(provider.id);
    return this.repo.findOneByOrFail({ id: provider.id });
  }

  /** Deletes a provider; its conversations fall back to the default (FK sets null). */
  async delete(viewer: Viewer, id: string): Promise<string> {
    const provider = await this.editable(viewer, id);
    await this.repo.delete({ id: provider.id });
    this.catalog.forget(provider.id);
    return provider.id;
  }

  /** The provider a conversation without one uses; NoProviderError when none is configured. */
  defaultProvider(): Promise<Provider> {
    return this.managed.defaultProvider();
  }

  /** Creates, updates or removes the configuration-managed rows; call at start-up. */
  async syncManaged(config: ManagedProviderConfig): Promise<void> {
    await this.managed.sync(config);
    this.catalog.clear();
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
    return this.catalog.models(provider, this.publicOnly(provider, viewer));
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

  /** The provider if the viewer may change it: NOT_FOUND if invisible, FORBIDDEN if shared or managed. */
  private async editable(viewer: Viewer, id: string): Promise<Provider> {
    const provider = await this.get(viewer, id);
    if (provider.managedBy) {
      throw new ForbiddenError('This provider is managed by configuration (LLM_* and DEMO_MODEL); change it there.');
    }
    if (provider.shared && !isAdmin(viewer)) throw new ForbiddenError('Only admins may change shared providers.');
    return provider;
  }
}
