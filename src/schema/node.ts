/**
 * `node(id)`, written by hand rather than by the relay plugin so that a
 * malformed id, an unknown type or another user's id all answer null.
 */
import { nodeTarget } from '../resolvers/node-resolvers.js';
import { builder } from './builder.js';
import { ConversationRef, MessageRef, ProviderRef, RunRef, UserRef } from './refs.js';

const refs = { User: UserRef, Conversation: ConversationRef, Message: MessageRef, Run: RunRef, Provider: ProviderRef };

builder.queryField('node', (t) =>
  t.field({
    type: builder.nodeInterfaceRef(),
    nullable: true,
    description: 'null for ids the viewer may not see, unknown or malformed ids.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      const target = nodeTarget(ctx, String(id));
      if (!target) return null;
      const ref = refs[target.typename] as { getDataloader: (c: typeof ctx) => { load(id: string): Promise<unknown> } };
      const found = (await ref.getDataloader(ctx).load(target.id)) as object | null;
      // The Node interface resolves the concrete type from this marker.
      return found ? Object.assign(found, { __typename: target.typename }) : null;
    },
  }),
);
