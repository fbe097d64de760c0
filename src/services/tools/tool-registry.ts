/** The tools a server offers, by name, with their JSON Schemas. */
import { z } from 'zod';
import type { ToolDefinition } from './tool.js';

export interface ToolInfo {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  source: string;
  minPermissionLevel: number;
}

export class ToolRegistry {
  private readonly tools = new Map<string, ToolDefinition>();
  private readonly schemas = new Map<string, Record<string, unknown>>();

  constructor(tools: ToolDefinition[] = []) {
    for (const tool of tools) this.register(tool);
  }

  register(tool: ToolDefinition): void {
    if (this.tools.has(tool.name)) throw new Error(`tool ${tool.name} is registered twice`);
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(tool.name)) throw new Error(`tool name ${tool.name} is not allowed by providers`);
    this.tools.set(tool.name, tool);
    const { $schema: _ignored, ...schema } = z.toJSONSchema(tool.parameters, { io: 'input' }) as Record<string, unknown>;
    this.schemas.set(tool.name, schema);
  }

  get(name: string): ToolDefinition | undefined {
    return this.tools.get(name);
  }

  has(name: string): boolean {
    return this.tools.has(name);
  }

  /** Every tool a user at this permission level may enable, by name. */
  available(permissionLevel: number): ToolInfo[] {
    return [...this.tools.values()]
      .filter((tool) => tool.minPermissionLevel <= permissionLevel)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((tool) => this.info(tool.name)!);
  }

  info(name: string): ToolInfo | undefined {
    const tool = this.tools.get(name);
    if (!tool) return undefined;
    return {
      name: tool.name,
      description: tool.description,
      parameters: this.schemas.get(name)!,
      source: tool.source,
      minPermissionLevel: tool.minPermissionLevel,
    };
  }
}
