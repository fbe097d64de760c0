/** Tools the viewer may enable: those at or below their permission level. */
import type { ToolInfo } from '../services/tools/tool-registry.js';
import { type GraphQLContext, requireViewer } from './context.js';

export function listTools(ctx: GraphQLContext): ToolInfo[] {
  return ctx.services.tools.available(requireViewer(ctx).permissionLevel);
}
