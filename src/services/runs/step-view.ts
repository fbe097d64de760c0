/**
 * A step as a client sees it: one event of `chatSteps`, or one coalesced
 * step of `Message.steps` (where delta and content both hold the whole text).
 * Discriminated on `type`, named like the stored step.
 */
import type { RunErrorCode, StoredStep, StoredUsage } from '../../entities/index.js';

interface StepBase {
  /** The step's stable id (a UUID); a text step's events share it. */
  id: string;
  index: number;
  seq: number;
}

export type StepView =
  | (StepBase & { type: 'thinking'; delta: string; content: string })
  | (StepBase & { type: 'text'; delta: string; content: string })
  | (StepBase & { type: 'tool_call'; toolCallId: string; name: string; arguments: string })
  | (StepBase & {
      type: 'tool_result';
      toolCallId: string;
      callStepId: string;
      name: string;
      content: string;
      success: boolean;
      durationMs: number;
    })
  | (StepBase & {
      type: 'done';
      messageId: string;
      tokenCount: number;
      usage: StoredUsage;
      iterations: number;
      finishReason: string;
    })
  | (StepBase & {
      type: 'error';
      code: RunErrorCode;
      message: string;
      retryable: boolean;
      partialMessageId: string | null;
    });

/** `Message.steps`: a stored step with delta = content = the whole text. */
export function storedStepView(step: StoredStep): StepView {
  switch (step.type) {
    case 'thinking':
    case 'text':
      return { ...step, type: step.type, delta: step.content };
    default:
      return step;
  }
}

export const EMPTY_USAGE: StoredUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0, reasoningTokens: null };
