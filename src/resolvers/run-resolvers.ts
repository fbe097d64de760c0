/** Runs: check the viewer, decode ids, call the run services. */
import type { Run } from '../entities/index.js';
import { type GraphQLContext, requireViewer } from './context.js';
import { rowId } from './ids.js';

export async function runById(ctx: GraphQLContext, globalId: string): Promise<Run | null> {
  const viewer = requireViewer(ctx);
  const id = rowId(globalId, 'Run');
  if (!id) return null;
  const [found] = await ctx.services.runs.byIds(viewer, [id]);
  return found ?? null;
}
