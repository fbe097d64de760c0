/** Runs: check the viewer, decode ids, call the run service. */
import type { Message, Run, StoredStep } from '../entities/index.js';
import { closingIterator } from '../services/async-iteration.js';
import { isActiveStatus, messageText } from '../services/runs/run-ending.js';
import type { StepView } from '../services/runs/step-view.js';
import { storedStepView } from '../services/runs/step-view.js';
import { SubscriberTooSlowError } from '../services/errors.js';
import { type GraphQLContext, loader, requireViewer } from './context.js';
import { requireRowId, rowId } from './ids.js';

export async function runById(ctx: GraphQLContext, globalId: string): Promise<Run | null> {
  const viewer = requireViewer(ctx);
  const id = rowId(globalId, 'Run');
  if (!id) return null;
  const [found] = await ctx.services.runs.byIds(viewer, [id]);
  return found ?? null;
}

export interface SendMessageArgs {
  conversationId?: string | null;
  text: string;
  enabledTools?: string[] | null;
  thinkingEnabled?: boolean | null;
  clientMutationId?: string | null;
}

export function sendMessage(ctx: GraphQLContext, input: SendMessageArgs) {
  const viewer = requireViewer(ctx);
  const conversationId = input.conversationId == null ? input.conversationId : requireRowId(input.conversationId, 'Conversation');
  return ctx.services.runs.sendMessage(viewer, { ...input, conversationId });
}

export function cancelRun(ctx: GraphQLContext, globalId: string): Promise<Run> {
  const viewer = requireViewer(ctx);
  return ctx.services.runs.cancel(viewer, requireRowId(globalId, 'Run'));
}

export async function chatSteps(ctx: GraphQLContext, globalRunId: string, after: number): Promise<AsyncIterableIterator<StepView>> {
  const viewer = requireViewer(ctx);
  const steps = await ctx.services.runs.chatSteps(viewer, requireRowId(globalRunId, 'Run'), after);
  const buffered = ctx.bufferedBytes;
  const limit = ctx.maxBufferedBytes;
  if (!buffered || limit === undefined) return steps;
  return closingIterator(steps, () => {}, (step) => {
    if (buffered() > limit) throw new SubscriberTooSlowError(step.seq - 1);
  });
}

/** An active run as stored so far (steps and lastSeq from one read, shared by every field of the request). */
function liveRun(ctx: GraphQLContext, runId: string) {
  return loader(ctx, 'liveRun', async (runIds) => {
    const byRun = await ctx.services.runs.liveState(runIds);
    return runIds.map((id) => byRun.get(id) ?? { steps: [], lastSeq: 0 });
  }).load(runId);
}

/** A run's lastSeq: stored once it has ended, its newest step event's while it is active. */
export async function runLastSeq(ctx: GraphQLContext, run: Run): Promise<number> {
  if (!isActiveStatus(run.status)) return run.lastSeq;
  return (await liveRun(ctx, run.id)).lastSeq;
}

/** An assistant message's steps: stored once its run has ended, rebuilt from events while it is active. */
async function assistantSteps(ctx: GraphQLContext, message: Message): Promise<StoredStep[]> {
  if (message.role !== 'assistant' || message.steps.length > 0 || !message.runId) return message.steps;
  return (await liveRun(ctx, message.runId)).steps.filter(Boolean);
}

export async function messageSteps(ctx: GraphQLContext, message: Message): Promise<StepView[]> {
  return (await assistantSteps(ctx, message)).map(storedStepView);
}

export async function messageTextOf(ctx: GraphQLContext, message: Message): Promise<string> {
  if (message.role !== 'assistant' || message.steps.length > 0 || !message.runId) return message.text;
  return messageText(await assistantSteps(ctx, message));
}
