/** `node(id)`, `viewer` and `run(id)`: reads that answer null for ids the viewer cannot see. */
import { type GraphQLContext, requireViewer } from './context.js';
import { parseGlobalId, type NodeTypename } from './ids.js';

/** The typename and row id of a global id the viewer might see, or null for anything malformed. */
export function nodeTarget(ctx: GraphQLContext, globalId: string): { typename: NodeTypename; id: string } | null {
  requireViewer(ctx);
  const parsed = parseGlobalId(globalId);
  const known: NodeTypename[] = ['User', 'Conversation', 'Message', 'Run', 'Provider'];
  if (!parsed || !known.includes(parsed.typename as NodeTypename)) return null;
  return { typename: parsed.typename as NodeTypename, id: parsed.id };
}

/** The viewer as a User; no statement needed, the viewer is already loaded. */
export function viewerUser(ctx: GraphQLContext): { id: string; username: string; permissionLevel: number } {
  const { id, username, permissionLevel } = requireViewer(ctx);
  return { id, username, permissionLevel };
}
