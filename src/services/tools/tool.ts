/**
 * What a tool is: a name, a description, a zod schema for its arguments
 * (also its JSON Schema for the model and for Query.tools), the lowest
 * permission level allowed to use it, a timeout, and the function itself.
 */
import type { z } from 'zod';

/** Who is running the tool: the user context the seed meant to pass and never did. */
export interface ToolContext {
  userId: string;
  username: string;
  permissionLevel: number;
  /** The conversation the run belongs to (tools that keep files key them by it). */
  workspace: string;
  signal: AbortSignal;
}

export interface ToolDefinition<Schema extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  parameters: Schema;
  minPermissionLevel: number;
  timeoutMs: number;
  /** "builtin", or "mcp:<server>" for tools from an MCP server. */
  source: string;
  execute(args: z.output<Schema>, context: ToolContext): Promise<unknown> | unknown;
}

export function defineTool<Schema extends z.ZodType>(tool: ToolDefinition<Schema>): ToolDefinition {
  return tool as unknown as ToolDefinition;
}
