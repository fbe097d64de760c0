/** Chatting: sendMessage, cancelRun, chatSteps and the tools a viewer may enable. */
import { cancelRun, chatSteps, sendMessage } from '../resolvers/run-resolvers.js';
import { listTools } from '../resolvers/tool-resolvers.js';
import type { ToolInfo } from '../services/tools/tool-registry.js';
import { builder } from './builder.js';
import { ConversationRef, MessageRef, RunRef } from './refs.js';
import { StepUnion } from './step.js';
import type { SendMessageResult } from '../services/runs/run-service.js';

const SendMessageInput = builder.inputType('SendMessageInput', {
  fields: (t) => ({
    conversationId: t.id({ description: 'Omitted: a new conversation is created.' }),
    text: t.string({ required: true }),
    enabledTools: t.stringList({ description: 'Names from Query.tools; omitted or []: no tools.' }),
    thinkingEnabled: t.boolean({ description: "Overrides the conversation's setting for this run." }),
    clientMutationId: t.string({
      description: 'A retry with the same id within 24 hours returns the first payload and starts nothing.',
    }),
  }),
});

const SendMessagePayload = builder.objectRef<SendMessageResult>('SendMessagePayload').implement({
  fields: (t) => ({
    run: t.field({ type: RunRef, resolve: (p) => p.run }),
    conversation: t.field({ type: ConversationRef, resolve: (p) => p.conversation }),
    userMessage: t.field({ type: MessageRef, resolve: (p) => p.userMessage }),
    clientMutationId: t.exposeString('clientMutationId', { nullable: true }),
  }),
});

const ToolRef = builder.objectRef<ToolInfo>('Tool').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    parameters: t.field({ type: 'JSON', description: 'JSON Schema of the arguments.', resolve: (tool) => tool.parameters }),
    source: t.exposeString('source', { description: '"builtin", or "mcp:<server>".' }),
    minPermissionLevel: t.exposeInt('minPermissionLevel'),
  }),
});

builder.queryField('tools', (t) =>
  t.field({
    type: [ToolRef],
    description: 'Tools the viewer may enable in sendMessage.',
    resolve: (_root, _args, ctx) => listTools(ctx),
  }),
);

builder.mutationFields((t) => ({
  sendMessage: t.field({
    type: SendMessagePayload,
    description: 'Stores the user message, starts a run and returns at once. Follow it with chatSteps(runId).',
    args: { input: t.arg({ type: SendMessageInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      sendMessage(ctx, { ...input, conversationId: input.conversationId == null ? input.conversationId : String(input.conversationId) }),
  }),
  cancelRun: t.field({
    type: RunRef,
    description: 'Stops a queued or running run. The partial answer is kept. Idempotent on finished runs.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => cancelRun(ctx, String(id)),
  }),
}));

builder.subscriptionType({ authScopes: { authenticated: true } });

builder.subscriptionField('chatSteps', (t) =>
  t.field({
    type: StepUnion,
    description: `Streams a run's steps. First replays every event with seq > after (for a
late or reconnecting subscriber), then follows the run live; ends after the
DoneStep or ErrorStep. For a finished run it replays and ends at once.
No event is lost or repeated between \`after\` and the end.`,
    args: { runId: t.arg.id({ required: true }), after: t.arg.int({ defaultValue: 0 }) },
    subscribe: (_root, { runId, after }, ctx) => chatSteps(ctx, String(runId), after ?? 0),
    resolve: (step) => step,
  }),
);
