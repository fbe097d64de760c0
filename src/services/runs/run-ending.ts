/**
 * How a run ends, in one place: the ending the loop (or the sweep) reaches,
 * the terminal event it becomes, and what the run's row and assistant
 * message become with it. Pure: no I/O, no clock.
 */
import type { RunErrorCode, RunStatus, StoredStep, StoredUsage } from '../../entities/index.js';
import { ACTIVE_RUN_STATUSES } from '../../entities/index.js';
import { RETRYABLE_CODES } from '../llm/llm-errors.js';
import { storableText, storableUsage } from '../storable.js';
import type { PendingEvent } from './run-event.js';

export type RunEnding =
  | { kind: 'done'; finishReason: string; usage: StoredUsage; iterations: number }
  | { kind: 'error'; code: RunErrorCode; message: string; usage: StoredUsage; iterations: number };

/** An active run's progress for its row: the LLM calls so far (the first marks it RUNNING). */
export interface RunProgress {
  runId: string;
  iterations: number;
  usage: StoredUsage;
}

/** What the run's row and assistant message become when it ends; written with its terminal event. */
export interface RunFinal {
  runId: string;
  conversationId: string;
  assistantMessageId: string;
  /** The assistant message is removed: the run produced no step at all. */
  removeMessage: boolean;
  status: RunStatus;
  errorCode: RunErrorCode | null;
  errorMessage: string | null;
  usage: StoredUsage;
  iterations: number;
  text: string;
  steps: StoredStep[];
  tokenCount: number;
}

/** The statuses of a run that may still produce events. */
export const isActiveStatus = (status: RunStatus): boolean => ACTIVE_RUN_STATUSES.includes(status);

/** ACTIVE_RUN_STATUSES as an SQL list, for `status IN ${ACTIVE_STATUSES_SQL}` (a literal, so partial indexes still match). */
export const ACTIVE_STATUSES_SQL = `(${ACTIVE_RUN_STATUSES.map((status) => `'${status}'`).join(', ')})`;

const STATUS_BY_CODE: Partial<Record<RunErrorCode, RunStatus>> = { CANCELLED: 'CANCELLED', INTERRUPTED: 'INTERRUPTED' };

/** Message.text: the non-empty text steps joined by a blank line. */
export function messageText(steps: StoredStep[]): string {
  return steps
    .flatMap((step) => (step.type === 'text' && step.content.length > 0 ? [step.content] : []))
    .join('\n\n');
}

/** An ending's provider-given strings and counts, made storable. */
export function storableEnding(ending: RunEnding): RunEnding {
  const usage = storableUsage(ending.usage);
  return ending.kind === 'done'
    ? { ...ending, usage, finishReason: storableText(ending.finishReason) }
    : { ...ending, usage, message: storableText(ending.message) };
}

/** Why a run's signal aborts when its ending was stored without its recorder (see RunRecorder.abandon). */
export class EndedElsewhere extends Error {
  constructor() {
    super('the run was ended without its recorder');
  }
}

/** Who the run is: what its terminal event and final row refer to. */
export interface RunIdentity {
  runId: string;
  conversationId: string;
  assistantMessageId: string;
}

/**
 * The terminal event (at `stepId`, `index`) and the final row of a run that
 * ends with `ending` after producing `steps`. `ending` must be storable.
 */
export function terminalOf(
  run: RunIdentity,
  ending: RunEnding,
  steps: StoredStep[],
  stepId: string,
): { event: PendingEvent; final: RunFinal } {
  const { runId, assistantMessageId } = run;
  const removeMessage = ending.kind === 'error' && steps.length === 0;
  const index = steps.length;
  const tokenCount = ending.usage.completionTokens;
  const event: PendingEvent =
    ending.kind === 'done'
      ? {
          type: 'done',
          runId,
          stepId,
          index,
          messageId: assistantMessageId,
          tokenCount,
          usage: ending.usage,
          iterations: ending.iterations,
          finishReason: ending.finishReason,
        }
      : {
          type: 'error',
          runId,
          stepId,
          index,
          code: ending.code,
          message: ending.message,
          retryable: RETRYABLE_CODES.includes(ending.code),
          partialMessageId: removeMessage ? null : assistantMessageId,
        };
  const final: RunFinal = {
    ...run,
    removeMessage,
    status: ending.kind === 'done' ? 'COMPLETED' : (STATUS_BY_CODE[ending.code] ?? 'FAILED'),
    errorCode: ending.kind === 'error' ? ending.code : null,
    errorMessage: ending.kind === 'error' ? ending.message : null,
    usage: ending.usage,
    iterations: ending.iterations,
    text: messageText(steps),
    steps,
    tokenCount,
  };
  return { event, final };
}
