/** Conversations: check the viewer, decode ids, call the conversation service. */
import type { Conversation, Message, Run } from '../entities/index.js';
import type { ConversationSettingsInput } from '../services/conversations/conversation-service.js';
import { type GraphQLContext, loader, requireViewer } from './context.js';
import { keysetConnection, positionCursor, updatedAtCursor, type ConnectionArgs } from './connection.js';
import { requireRowId, rowId } from './ids.js';

export interface ConversationInputArgs {
  title?: string | null;
  systemPrompt?: string | null;
  providerId?: string | null;
  model?: string | null;
  temperature?: number | null;
  thinkingEnabled?: boolean | null;
}

/** Turns the GraphQL input (a global provider id) into the service's input. */
function settings(input: ConversationInputArgs): ConversationSettingsInput {
  const { providerId, ...rest } = input;
  if (providerId === undefined || providerId === null) return { ...rest, providerId };
  return { ...rest, providerId: requireRowId(providerId, 'Provider') };
}

export function listConversations(ctx: GraphQLContext, args: ConnectionArgs & { search?: string | null }) {
  const viewer = requireViewer(ctx);
  return keysetConnection(args, updatedAtCursor, (page) =>
    ctx.services.conversations.list(viewer, { ...page, search: args.search }),
  );
}

export async function conversationById(ctx: GraphQLContext, globalId: string): Promise<Conversation | null> {
  const viewer = requireViewer(ctx);
  const id = rowId(globalId, 'Conversation');
  if (!id) return null;
  const [found] = await ctx.services.conversations.byIds(viewer, [id]);
  return found ?? null;
}

export function createConversation(ctx: GraphQLContext, input: ConversationInputArgs) {
  return ctx.services.conversations.create(requireViewer(ctx), settings(input));
}

export function updateConversation(ctx: GraphQLContext, globalId: string, input: ConversationInputArgs) {
  const viewer = requireViewer(ctx);
  return ctx.services.conversations.update(viewer, requireRowId(globalId, 'Conversation'), settings(input));
}

export async function deleteConversation(ctx: GraphQLContext, globalId: string): Promise<string> {
  const viewer = requireViewer(ctx);
  const id = requireRowId(globalId, 'Conversation');
  await ctx.services.runs.cancelActive(viewer, id);
  await ctx.services.conversations.delete(viewer, id);
  return globalId;
}

/**
 * A conversation's messages. The page of every conversation in the request
 * with the same arguments loads in one statement (a list of conversations
 * with `messages(last: 1)` is one query, not one per conversation).
 */
export function conversationMessages(ctx: GraphQLContext, conversationId: string, args: ConnectionArgs) {
  const viewer = requireViewer(ctx);
  return keysetConnection(args, positionCursor, (page) => {
    const pages = loader<Message[]>(ctx, `messages:${JSON.stringify(page)}`, async (ids) => {
      const byConversation = await ctx.services.messages.pages(viewer, ids, page);
      return ids.map((id) => byConversation.get(id) ?? []);
    });
    return pages.load(conversationId);
  });
}

/** The conversation's QUEUED or RUNNING run, batched across conversations. */
export function activeRun(ctx: GraphQLContext, conversationId: string): Promise<Run | null> {
  const viewer = requireViewer(ctx);
  return loader<Run | null>(ctx, 'activeRun', async (ids) => {
    const runs = await ctx.services.runs.activeByConversationIds(viewer, ids);
    return ids.map((id) => runs.find((run) => run.conversationId === id) ?? null);
  }).load(conversationId);
}
