/**
 * Batch loaders for the node types, scoped to the viewer: an id the viewer
 * may not see loads as null, exactly like an id that does not exist.
 */
import type { Conversation, Message, Provider, Run, User } from '../entities/index.js';
import type { GraphQLContext } from './context.js';

function byId<T extends { id: string }>(rows: T[], ids: readonly string[]): (T | null)[] {
  const map = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => map.get(id) ?? null);
}

export const loadUsers = async (ctx: GraphQLContext, ids: readonly string[]): Promise<(User | null)[]> =>
  // A user may see only themselves.
  ctx.viewer ? byId(await ctx.services.users.byIds(ids.filter((id) => id === ctx.viewer!.id)), ids) : ids.map(() => null);

export const loadConversations = async (ctx: GraphQLContext, ids: readonly string[]): Promise<(Conversation | null)[]> =>
  ctx.viewer ? byId(await ctx.services.conversations.byIds(ctx.viewer, ids), ids) : ids.map(() => null);

export const loadMessages = async (ctx: GraphQLContext, ids: readonly string[]): Promise<(Message | null)[]> =>
  ctx.viewer ? byId(await ctx.services.messages.byIds(ctx.viewer, ids), ids) : ids.map(() => null);

export const loadRuns = async (ctx: GraphQLContext, ids: readonly string[]): Promise<(Run | null)[]> =>
  ctx.viewer ? byId(await ctx.services.runs.byIds(ctx.viewer, ids), ids) : ids.map(() => null);

export const loadProviders = async (ctx: GraphQLContext, ids: readonly string[]): Promise<(Provider | null)[]> =>
  ctx.viewer ? byId(await ctx.services.providers.byIds(ctx.viewer, ids), ids) : ids.map(() => null);

