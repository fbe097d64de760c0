/**
 * Reads messages, scoped to the viewer. Pages are keyset on the global
 * `position` (oldest first); one statement serves a page of many
 * conversations at once, so a list of conversations with their last
 * message costs one query, not one per conversation.
 */
import type { DataSource } from 'typeorm';
import { Message } from '../../entities/index.js';
import type { KeysetPage } from '../pagination.js';
import type { Viewer } from '../users/viewer.js';

export class MessageService {
  constructor(private readonly dataSource: DataSource) {}

  async byIds(viewer: Viewer, ids: readonly string[]): Promise<Message[]> {
    return this.dataSource
      .getRepository(Message)
      .createQueryBuilder('m')
      .where('m.id = ANY(:ids) AND m.user_id = :userId', { ids, userId: viewer.id })
      .getMany();
  }

  /**
   * The same page of each conversation's messages, keyed by conversation id.
   * Cursors are positions. Rows come oldest first, or newest first when
   * `inverted` (the caller reverses them).
   */
  async pages(
    viewer: Viewer,
    conversationIds: readonly string[],
    page: KeysetPage<string>,
  ): Promise<Map<string, Message[]>> {
    const direction = page.inverted ? 'DESC' : 'ASC';
    const repo = this.dataSource.getRepository(Message);
    const ranked = repo
      .createQueryBuilder('m')
      .select('m.id', 'id')
      .addSelect(`row_number() OVER (PARTITION BY m.conversation_id ORDER BY m.position ${direction})`, 'rank')
      .where('m.conversation_id = ANY(:conversationIds) AND m.user_id = :userId', {
        conversationIds,
        userId: viewer.id,
      });
    if (page.after) ranked.andWhere('m.position > :after', { after: page.after });
    if (page.before) ranked.andWhere('m.position < :before', { before: page.before });
    const rows = await repo
      .createQueryBuilder('msg')
      .innerJoin(`(${ranked.getQuery()})`, 'ranked', 'ranked.id = msg.id')
      .setParameters(ranked.getParameters())
      .where('ranked.rank <= :limit', { limit: page.limit })
      .orderBy('msg.position', direction)
      .getMany();
    const byConversation = new Map<string, Message[]>(conversationIds.map((id) => [id, []]));
    for (const row of rows) byConversation.get(row.conversationId)?.push(row);
    return byConversation;
  }
}
