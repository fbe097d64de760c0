/**
 * Conversations: a user's chats and their settings. Every read and write is
 * scoped to the viewer; another user's conversation is exactly a missing one.
 */
import { type DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { Conversation } from '../../entities/index.js';
import { NotFoundError } from '../errors.js';
import type { ProviderService } from '../providers/provider-service.js';
import type { Viewer } from '../users/viewer.js';
import { parseInput, temperature, text } from '../validation.js';
import type { KeysetPage } from '../pagination.js';

export interface ConversationCursor {
  updatedAt: Date;
  id: string;
}

const settingsShape = {
  title: text(200).nullish(),
  systemPrompt: text(20_000).nullish(),
  providerId: z.string().nullish(),
  model: text(200).min(1, 'must not be empty').nullish(),
  temperature: temperature.nullish(),
  thinkingEnabled: z.boolean().nullish(),
};
const settingsSchema = z.object(settingsShape).strict();

export type ConversationSettingsInput = z.input<typeof settingsSchema>;

export class ConversationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: ProviderService,
  ) {}

  private get repo() {
    return this.dataSource.getRepository(Conversation);
  }

  /** The viewer's conversations among `ids`, in any order. */
  async byIds(viewer: Viewer, ids: readonly string[]): Promise<Conversation[]> {
    return this.repo
      .createQueryBuilder('c')
      .where('c.id = ANY(:ids) AND c.user_id = :userId', { ids, userId: viewer.id })
      .getMany();
  }

  /** One of the viewer's conversations, or NotFoundError. */
  async get(viewer: Viewer, id: string, manager?: EntityManager): Promise<Conversation> {
    const repo = manager ? manager.getRepository(Conversation) : this.repo;
    const found = await repo.findOneBy({ id, userId: viewer.id });
    if (!found) throw new NotFoundError('conversation');
    return found;
  }

  /**
   * A page of the viewer's conversations, most recently updated first
   * (keyset on updatedAt, id). With `inverted`, reads from the oldest end
   * and returns rows oldest first (the caller reverses them).
   */
  async list(
    viewer: Viewer,
    page: KeysetPage<ConversationCursor> & { search?: string | null },
  ): Promise<Conversation[]> {
    const { search } = parseInput(z.object({ search: text(200).nullish() }), { search: page.search });
    const q = this.repo.createQueryBuilder('c').where('c.user_id = :userId', { userId: viewer.id });
    if (search) {
      q.andWhere(`c.title ILIKE :pattern ESCAPE '\\'`, { pattern: `%${search.replace(/[\\%_]/g, '\\$&')}%` });
    }
    if (page.after) {
      q.andWhere('(c.updated_at, c.id) < (:afterAt, :afterId)', {
        afterAt: page.after.updatedAt,
        afterId: page.after.id,
      });
    }
    if (page.before) {
      q.andWhere('(c.updated_at, c.id) > (:beforeAt, :beforeId)', {
        beforeAt: page.before.updatedAt,
        beforeId: page.before.id,
      });
    }
    const direction = page.inverted ? 'ASC' : 'DESC';
    return q.orderBy('c.updated_at', direction).addOrderBy('c.id', direction).limit(page.limit).getMany();
  }

  async create(viewer: Viewer, input: ConversationSettingsInput): Promise<Conversation> {
    const values = parseInput(settingsSchema, input);
    if (values.providerId) await this.providers.get(viewer, values.providerId);
    const created = await this.repo.save(
      this.repo.create({
        userId: viewer.id,
        title: values.title ?? null,
        titleSource: values.title != null ? 'user' : null,
        systemPrompt: values.systemPrompt ?? null,
        providerId: values.providerId ?? null,
        model: values.model ?? null,
        temperature: values.temperature ?? null,
        thinkingEnabled: values.thinkingEnabled ?? false,
      }),
    );
    return this.get(viewer, created.id);
  }

  /** Omitted fields stay; an explicit null clears a field back to its default. */
  async update(viewer: Viewer, id: string, input: ConversationSettingsInput): Promise<Conversation> {
    const values = parseInput(settingsSchema, input);
    const conversation = await this.get(viewer, id);
    if (values.providerId) await this.providers.get(viewer, values.providerId);
    const changes: Partial<Conversation> = {};
    for (const key of ['title', 'systemPrompt', 'providerId', 'model', 'temperature'] as const) {
      if (values[key] !== undefined) (changes as Record<string, unknown>)[key] = values[key];
    }
    if (values.thinkingEnabled !== undefined) changes.thinkingEnabled = values.thinkingEnabled ?? false;
    // A title the user sets is never replaced by a generated one; clearing it leaves no title to replace.
    if (values.title !== undefined) changes.titleSource = values.title === null ? null : 'user';
    await this.repo
      .createQueryBuilder()
      .update()
      .set({ ...changes, updatedAt: () => 'clock_timestamp()' })
      .where('id = :id AND user_id = :userId', { id: conversation.id, userId: viewer.id })
      .execute();
    return this.get(viewer, id);
  }

  /** Deletes the conversation with its messages and runs; returns its id. */
  async delete(viewer: Viewer, id: string): Promise<string> {
    const result = await this.repo.delete({ id, userId: viewer.id });
    if (!result.affected) throw new NotFoundError('conversation');
    return id;
  }
}
