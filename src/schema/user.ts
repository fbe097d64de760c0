import { viewerUser } from '../resolvers/node-resolvers.js';
import { builder } from './builder.js';
import { UserRef } from './refs.js';

UserRef.implement({
  fields: (t) => ({
    username: t.exposeString('username'),
    permissionLevel: t.exposeInt('permissionLevel', { description: '10 or more is an admin.' }),
  }),
});

builder.queryField('viewer', (t) => t.field({ type: UserRef, resolve: (_root, _args, ctx) => viewerUser(ctx) }));
