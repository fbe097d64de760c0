/** Reads runs, scoped to the viewer: by id, and the active run of conversations. */
import type { DataSource } from 'typeorm';
import { Run } from '../../entities/index.js';
import type { Viewer } from '../users/viewer.js';

export class RunReader {
  constructor(private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(Run);
  }

  async byIds(viewer: Viewer, ids: readonly string[]): Promise<Run[]> {
    return this.repo
      .createQueryBuilder('r')
      .where('r.id = ANY(:ids) AND r.user_id = :userId', { ids, userId: viewer.id })
      .getMany();
  }

  /** The QUEUED or RUNNING run of each conversation that has one. */
  async activeByConversationIds(viewer: Viewer, conversationIds: readonly string[]): Promise<Run[]> {
    return this.repo
      .createQueryBuilder('r')
      .where(`r.conversation_id = ANY(:conversationIds) AND r.user_id = :userId AND r.status IN ('QUEUED', 'RUNNING')`, {
        conversationIds,
        userId: viewer.id,
      })
      .getMany();
  }
}
