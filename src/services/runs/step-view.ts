/**
 * A step as a client sees it: one event of `chatSteps`, or one coalesced
 * step of `Message.steps` (where delta and content both hold the whole text).
 * Discriminated on `type`, named like the stored step.
 */
import type {
  RunErrorCode,
  StepPosition,
  StoredStep,
  StoredUsage,
  ToolCallFields,
  ToolResultFields,
} from '../../entities/index.js';

/** The fields of the terminal steps, beside their position. */
export interface DoneFields {
  messageId: string;
  tokenCount: number;
  usage: StoredUsage;
  iterations: number;
  finishReason: string;
}

export interface ErrorFields {
  code: RunErrorCode;
  message: string;
  retryable: boolean;
  partialMessageId: string | null;
}

export type StepView =
  | (StepPosition & { type: 'thinking'; delta: string; content: string })
  | (StepPosition & { type: 'text'; delta: string; content: string })
  | (StepPosition & { type: 'tool_call' } & ToolCallFields)
  | (StepPosition & { type: 'tool_result' } & ToolResultFields)
  | (StepPosition & { type: 'done' } & DoneFields)
  | (StepPosition & { type: 'error' } & ErrorFields);

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
