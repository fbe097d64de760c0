import { runById, runLastSeq } from '../resolvers/run-resolvers.js';
import { EMPTY_USAGE } from '../services/runs/step-view.js';
import { builder } from './builder.js';
import { RunErrorCodeEnum, RunStatusEnum } from './enums.js';
import { ConversationRef, loadOrNotFound, MessageRef, RunRef, UsageRef } from './refs.js';

const RunErrorRef = builder
  .objectRef<{ code: NonNullable<import('../entities/index.js').RunErrorCode>; message: string }>('RunError')
  .implement({
    fields: (t) => ({
      code: t.field({ type: RunErrorCodeEnum, resolve: (e) => e.code }),
      message: t.exposeString('message'),
    }),
  });

RunRef.implement({
  fields: (t) => ({
    conversation: t.field({
      type: ConversationRef,
      resolve: (r, _args, ctx) => loadOrNotFound(ConversationRef, ctx, r.conversationId, 'conversation'),
    }),
    status: t.field({ type: RunStatusEnum, resolve: (r) => r.status }),
    userMessage: t.field({
      type: MessageRef,
      resolve: (r, _args, ctx) => loadOrNotFound(MessageRef, ctx, r.userMessageId, 'message'),
    }),
    assistantMessage: t.field({
      type: MessageRef,
      nullable: true,
      description: 'The answer so far while active; final when the run ends (partial on failure or cancel).',
      resolve: (r, _args, ctx) => (r.assistantMessageId ? MessageRef.getDataloader(ctx).load(r.assistantMessageId) : null),
    }),
    iterations: t.exposeInt('iterations', { description: 'LLM calls made so far.' }),
    usage: t.field({ type: UsageRef, resolve: (r) => r.usage ?? EMPTY_USAGE }),
    error: t.field({
      type: RunErrorRef,
      nullable: true,
      resolve: (r) => (r.errorCode ? { code: r.errorCode, message: r.errorMessage ?? '' } : null),
    }),
    lastSeq: t.int({ description: 'seq of the newest event so far.', resolve: (r, _args, ctx) => runLastSeq(ctx, r) }),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.queryField('run', (t) =>
  t.field({
    type: RunRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => runById(ctx, String(id)),
  }),
);
