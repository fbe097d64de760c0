import {
  activeRun,
  conversationById,
  conversationMessages,
  createConversation,
  deleteConversation,
  listConversations,
  updateConversation,
} from '../resolvers/conversation-resolvers.js';
import { builder } from './builder.js';
import { ConversationRef, MessageRef, ProviderRef, RunRef } from './refs.js';

ConversationRef.implement({
  fields: (t) => ({
    title: t.exposeString('title', {
      nullable: true,
      description:
        "Set by the user; else the first line of the first message, then a title generated from it while the first run streams. A user's title is never overwritten.",
    }),
    systemPrompt: t.exposeString('systemPrompt', { nullable: true }),
    model: t.exposeString('model', { nullable: true, description: "null: the provider's default model." }),
    temperature: t.exposeFloat('temperature', { nullable: true }),
    thinkingEnabled: t.exposeBoolean('thinkingEnabled'),
    provider: t.field({
      type: ProviderRef,
      nullable: true,
      description: "null: the server's default provider.",
      resolve: (c, _args, ctx) => (c.providerId ? ProviderRef.getDataloader(ctx).load(c.providerId) : null),
    }),
    messages: t.connection(
      {
        type: MessageRef,
        description: 'Oldest first.',
        resolve: (c, args, ctx) => conversationMessages(ctx, c.id, args),
      },
      { name: 'MessageConnection' },
      { name: 'MessageEdge' },
    ),
    activeRun: t.field({
      type: RunRef,
      nullable: true,
      description: 'The queued or running run, if any.',
      resolve: (c, _args, ctx) => activeRun(ctx, c.id),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  conversations: t.connection(
    {
      type: ConversationRef,
      description: "The viewer's conversations, most recently updated first.",
      args: { search: t.arg.string({ description: 'A case-insensitive substring of the title.' }) },
      resolve: (_root, args, ctx) => listConversations(ctx, args),
    },
    { name: 'ConversationConnection' },
    { name: 'ConversationEdge' },
  ),
  conversation: t.field({
    type: ConversationRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => conversationById(ctx, String(id)),
  }),
}));


const CreateConversationInput = builder.inputType('CreateConversationInput', {
  fields: (t) => ({
    title: t.string(),
    systemPrompt: t.string(),
    providerId: t.id(),
    model: t.string(),
    temperature: t.float({ description: '0 to 2' }),
    thinkingEnabled: t.boolean(),
  }),
});

const UpdateConversationInput = builder.inputType('UpdateConversationInput', {
  description: 'Omitted fields stay as they are; an explicit null clears a field back to its default.',
  fields: (t) => ({
    title: t.string(),
    systemPrompt: t.string(),
    providerId: t.id(),
    model: t.string(),
    temperature: t.float(),
    thinkingEnabled: t.boolean(),
  }),
});

builder.mutationFields((t) => ({
  createConversation: t.field({
    type: ConversationRef,
    args: { input: t.arg({ type: CreateConversationInput, required: true }) },
    resolve: (_root, { input }, ctx) => createConversation(ctx, { ...input, providerId: input.providerId?.toString() ?? input.providerId }),
  }),
  updateConversation: t.field({
    type: ConversationRef,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateConversationInput, required: true }) },
    resolve: (_root, { id, input }, ctx) =>
      updateConversation(ctx, String(id), { ...input, providerId: input.providerId?.toString() ?? input.providerId }),
  }),
  deleteConversation: t.field({
    type: 'ID',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => deleteConversation(ctx, String(id)),
  }),
}));
