/** Builds the executable schema from every type file. */
import { lexicographicSortSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import './enums.js';
import './refs.js';
import './step.js';
import './user.js';
import './conversation.js';
import './message.js';
import './run.js';
import './provider.js';
import './node.js';
import './chat.js';

let schema: GraphQLSchema | undefined;

export function buildSchema(): GraphQLSchema {
  schema ??= builder.toSchema();
  return schema;
}

/** The schema as printed to schema.graphql: sorted, so diffs show real changes. */
export function sortedSchema(): GraphQLSchema {
  return lexicographicSortSchema(buildSchema());
}
