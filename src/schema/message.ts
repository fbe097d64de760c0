import { messageSteps, messageTextOf } from '../resolvers/run-resolvers.js';
import { MessageRoleEnum } from './enums.js';
import { ConversationRef, loadOrNotFound, MessageRef, RunRef, UsageRef } from './refs.js';
import { StepUnion } from './step.js';

MessageRef.implement({
  fields: (t) => ({
    conversation: t.field({
      type: ConversationRef,
      resolve: (m, _args, ctx) => loadOrNotFound(ConversationRef, ctx, m.conversationId, 'conversation'),
    }),
    role: t.field({ type: MessageRoleEnum, resolve: (m) => (m.role === 'user' ? 'USER' : 'ASSISTANT') }),
    text: t.string({
      description: "user: what was sent; assistant: the run's text steps joined by a blank line.",
      resolve: (m, _args, ctx) => messageTextOf(ctx, m),
    }),
    steps: t.field({
      type: [StepUnion],
      description: "assistant: the run's thinking, text, tool call and tool result steps by index (no Done/Error); user: [].",
      resolve: (m, _args, ctx) => messageSteps(ctx, m),
    }),
    run: t.field({
      type: RunRef,
      nullable: true,
      resolve: (m, _args, ctx) => (m.runId ? RunRef.getDataloader(ctx).load(m.runId) : null),
    }),
    tokenCount: t.exposeInt('tokenCount', { nullable: true }),
    usage: t.field({ type: UsageRef, nullable: true, resolve: (m) => m.usage }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});
