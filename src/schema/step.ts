/**
 * The Step union: six members whose shared field names have the same types,
 * so one selection can hold fragments on all of them.
 */
import type { StepView } from '../services/runs/step-view.js';
import { builder } from './builder.js';
import { RunErrorCodeEnum } from './enums.js';
import { loadOrNotFound, MessageRef, UsageRef } from './refs.js';
import { toGlobalId } from '../resolvers/ids.js';

type Of<T extends StepView['type']> = Extract<StepView, { type: T }>;

/** Thinking and text steps share their shape: many events, one id, deltas adding up to content. */
function deltaStep(name: string) {
  return builder.objectRef<Of<'thinking'> | Of<'text'>>(name).implement({
    fields: (t) => ({
      id: t.exposeID('id'),
      index: t.exposeInt('index'),
      seq: t.exposeInt('seq'),
      delta: t.exposeString('delta', { description: 'The text this event adds.' }),
      content: t.exposeString('content', { description: "The step's whole text so far." }),
    }),
  });
}

export const ThinkingStep = deltaStep('ThinkingStep');
export const TextStep = deltaStep('TextStep');

export const ToolCallStep = builder.objectRef<Of<'tool_call'>>('ToolCallStep').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    index: t.exposeInt('index'),
    seq: t.exposeInt('seq'),
    toolCallId: t.exposeString('toolCallId', { description: "The provider's tool call id." }),
    name: t.exposeString('name'),
    arguments: t.exposeString('arguments', { description: 'Raw JSON text as the model produced it (may be invalid).' }),
    input: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Parsed arguments; null where they are not valid JSON.',
      resolve: (step) => {
        try {
          return JSON.parse(step.arguments) as unknown;
        } catch {
          return null;
        }
      },
    }),
  }),
});

export const ToolResultStep = builder.objectRef<Of<'tool_result'>>('ToolResultStep').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    index: t.exposeInt('index'),
    seq: t.exposeInt('seq'),
    toolCallId: t.exposeString('toolCallId'),
    callStepId: t.exposeID('callStepId', { description: 'The ToolCallStep this answers.' }),
    name: t.exposeString('name'),
    content: t.exposeString('content', { description: 'What was fed back to the model.' }),
    success: t.exposeBoolean('success'),
    durationMs: t.exposeInt('durationMs'),
  }),
});

export const DoneStep = builder.objectRef<Of<'done'>>('DoneStep').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    index: t.exposeInt('index'),
    seq: t.exposeInt('seq'),
    messageId: t.id({ description: 'The stored assistant message.', resolve: (step) => toGlobalId('Message', step.messageId) }),
    assistantMessage: t.field({
      type: MessageRef,
      resolve: (step, _args, ctx) => loadOrNotFound(MessageRef, ctx, step.messageId, 'message'),
    }),
    tokenCount: t.exposeInt('tokenCount', { description: 'Completion tokens of the run.' }),
    usage: t.field({ type: UsageRef, resolve: (step) => step.usage }),
    iterations: t.exposeInt('iterations'),
    finishReason: t.exposeString('finishReason', {
      description: "The provider's last finish_reason: stop, length, content_filter.",
    }),
  }),
});

export const ErrorStep = builder.objectRef<Of<'error'>>('ErrorStep').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    index: t.exposeInt('index'),
    seq: t.exposeInt('seq'),
    code: t.field({ type: RunErrorCodeEnum, resolve: (step) => step.code }),
    message: t.exposeString('message', { description: 'Safe to show a user; never a secret or a stack.' }),
    retryable: t.exposeBoolean('retryable', {
      description: 'True for PROVIDER_ERROR, RATE_LIMITED, TIMEOUT, INTERRUPTED.',
    }),
    partialMessageId: t.id({
      nullable: true,
      description: 'The stored partial answer; null if nothing was produced.',
      resolve: (step) => (step.partialMessageId ? toGlobalId('Message', step.partialMessageId) : null),
    }),
  }),
});

const members = {
  thinking: ThinkingStep,
  text: TextStep,
  tool_call: ToolCallStep,
  tool_result: ToolResultStep,
  done: DoneStep,
  error: ErrorStep,
} as const;

export const StepUnion = builder.unionType('Step', {
  description: `One event of a run. id: the step's stable id. index: the step's position in
the run, 0-based. seq: the event's position in the run's stream, 1-based,
gapless. A thinking or text step arrives as many events sharing one id and
index: delta is the text this event adds, content the step's whole text so
far (selecting content on every event costs bandwidth quadratic in length;
fast clients select delta). In Message.steps, delta and content both hold the
whole text.`,
  types: Object.values(members),
  resolveType: (step: StepView) => members[step.type],
});
