/**
 * References to the node types, declared before their fields so that types
 * may point at each other. Each loads through a per-request dataloader that
 * sees only the viewer's rows.
 */
import type { Conversation, Message, Provider, Run, StoredUsage } from '../entities/index.js';
import type { GraphQLContext } from '../resolvers/context.js';
import {
  loadConversations,
  loadMessages,
  loadProviders,
  loadRuns,
  loadUsers,
} from '../resolvers/node-loaders.js';
import { NotFoundError } from '../services/errors.js';
import { builder } from './builder.js';

const rowId = { resolve: (row: { id: string }) => row.id };

export type UserShape = { id: string; username: string; permissionLevel: number };
export const UserRef = builder.loadableNodeRef<UserShape | null, string, string, string, UserShape>('User', {
  id: rowId,
  load: (ids: string[], ctx: GraphQLContext) => loadUsers(ctx, ids),
});
export const ConversationRef = builder.loadableNodeRef<Conversation | null, string, string, string, Conversation>('Conversation', {
  id: rowId,
  load: (ids: string[], ctx: GraphQLContext) => loadConversations(ctx, ids),
});
export const MessageRef = builder.loadableNodeRef<Message | null, string, string, string, Message>('Message', {
  id: rowId,
  load: (ids: string[], ctx: GraphQLContext) => loadMessages(ctx, ids),
});
export const RunRef = builder.loadableNodeRef<Run | null, string, string, string, Run>('Run', { id: rowId, load: (ids: string[], ctx: GraphQLContext) => loadRuns(ctx, ids) });
export const ProviderRef = builder.loadableNodeRef<Provider | null, string, string, string, Provider>('Provider', {
  id: rowId,
  load: (ids: string[], ctx: GraphQLContext) => loadProviders(ctx, ids),
});

export const UsageRef = builder.objectRef<StoredUsage>('Usage').implement({
  fields: (t) => ({
    promptTokens: t.exposeInt('promptTokens', { description: 'Summed over every LLM call of the run.' }),
    completionTokens: t.exposeInt('completionTokens'),
    totalTokens: t.exposeInt('totalTokens'),
    reasoningTokens: t.exposeInt('reasoningTokens', { nullable: true }),
  }),
});

type LoadableRef<T> = { getDataloader: (ctx: GraphQLContext) => { load(id: string): Promise<T | null> } };

/** Loads a row that must exist for the viewer (a relation), else NOT_FOUND. */
export async function loadOrNotFound<T>(ref: LoadableRef<T>, ctx: GraphQLContext, id: string, what: string): Promise<T> {
  const found = await ref.getDataloader(ctx).load(id);
  if (!found) throw new NotFoundError(what);
  return found;
}
