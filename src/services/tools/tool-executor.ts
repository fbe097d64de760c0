/**
 * Runs a batch of tool calls in parallel. Each call is parsed, checked
 * against the run's enabled tools and the user's permission, validated with
 * its zod schema, bounded by its timeout and the run's abort signal, and its
 * output truncated to a bound. Every failure becomes a `success: false`
 * result the model can read; nothing a tool does can crash the run.
 */
import type { ToolCallRequest } from '../llm/chat-stream.js';
import type { ToolContext } from './tool.js';
import type { ToolRegistry } from './tool-registry.js';

export interface ToolResult {
  toolCallId: string;
  name: string;
  content: string;
  success: boolean;
  durationMs: number;
}

export interface ExecuteOptions {
  /** Names offered to the model in this run. */
  enabled: ReadonlySet<string>;
  context: Omit<ToolContext, 'signal'>;
  signal: AbortSignal;
  /** Called as each call finishes, in finish order. */
  onResult?: (result: ToolResult) => void;
}

export const MAX_TOOL_OUTPUT_CHARS = 16_000;
const TRUNCATION_MARKER = '\n[output truncated: it was longer than 16000 characters]';

class ToolTimeoutError extends Error {}

function stringify(output: unknown): string {
  if (typeof output === 'string') return output;
  if (output === undefined) return '';
  try {
    return JSON.stringify(output);
  } catch {
    return String(output);
  }
}

export function truncate(text: string, max = MAX_TOOL_OUTPUT_CHARS): string {
  return text.length <= max ? text : text.slice(0, max) + TRUNCATION_MARKER;
}

export class ToolExecutor {
  constructor(private readonly registry: ToolRegistry) {}

  /** Executes every call; resolves with results in the calls' order once all have finished. */
  async executeAll(calls: ToolCallRequest[], options: ExecuteOptions): Promise<ToolResult[]> {
    return Promise.all(
      calls.map(async (call) => {
        const result = await this.executeOne(call, options);
        options.onResult?.(result);
        return result;
      }),
    );
  }

  private async executeOne(call: ToolCallRequest, options: ExecuteOptions): Promise<ToolResult> {
    const started = performance.now();
    const finish = (success: boolean, content: string): ToolResult => ({
      toolCallId: call.id,
      name: call.name,
      content: truncate(content),
      success,
      durationMs: Math.round(performance.now() - started),
    });

    const tool = this.registry.get(call.name);
    if (!tool) return finish(false, `Error: there is no tool named "${call.name}".`);
    if (!options.enabled.has(call.name)) {
      return finish(false, `Error: the tool "${call.name}" is not enabled in this conversation.`);
    }
    if (tool.minPermissionLevel > options.context.permissionLevel) {
      return finish(false, `Error: you are not allowed to use the tool "${call.name}".`);
    }
    let raw: unknown;
    try {
      raw = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
    } catch {
      return finish(false, `Error: the arguments are not valid JSON: ${call.arguments.slice(0, 200)}`);
    }
    const parsed = tool.parameters.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ');
      return finish(false, `Error: invalid arguments: ${issues}`);
    }
    if (options.signal.aborted) return finish(false, 'Error: the run was cancelled before the tool ran.');

    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal.reason);
    options.signal.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const bounds = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort(new ToolTimeoutError());
        reject(new ToolTimeoutError());
      }, tool.timeoutMs);
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    try {
      const output = await Promise.race([
        Promise.resolve().then(() => tool.execute(parsed.data, { ...options.context, signal: controller.signal })),
        bounds,
      ]);
      return finish(true, stringify(output));
    } catch (error) {
      if (error instanceof ToolTimeoutError) return finish(false, `Error: the tool timed out after ${tool.timeoutMs} ms.`);
      if (options.signal.aborted) return finish(false, 'Error: the run was cancelled while the tool was running.');
      return finish(false, `Error: ${error instanceof Error ? error.message : String(error)}`.slice(0, 2000));
    } finally {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      bounds.catch(() => {});
    }
  }
}
