/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query Conversations($first: Int, $after: String, $search: String) {\n  conversations(first: $first, after: $after, search: $search) {\n    edges {\n      cursor\n      node {\n        id\n        title\n        updatedAt\n        activeRun {\n          id\n          status\n          lastSeq\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.ConversationsDocument,
    "mutation SendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    run {\n      id\n      status\n      lastSeq\n    }\n    conversation {\n      id\n      title\n    }\n    userMessage {\n      id\n      text\n    }\n    clientMutationId\n  }\n}\n\nmutation CancelRun($id: ID!) {\n  cancelRun(id: $id) {\n    id\n    status\n    lastSeq\n    error {\n      code\n      message\n    }\n    assistantMessage {\n      id\n      text\n    }\n  }\n}": typeof types.SendMessageDocument,
    "fragment ThinkingStepFields on ThinkingStep {\n  id\n  index\n  seq\n  delta\n}\n\nfragment TextStepFields on TextStep {\n  id\n  index\n  seq\n  delta\n}\n\nfragment ToolCallStepFields on ToolCallStep {\n  id\n  index\n  seq\n  toolCallId\n  name\n  arguments\n  input\n}\n\nfragment ToolResultStepFields on ToolResultStep {\n  id\n  index\n  seq\n  toolCallId\n  callStepId\n  name\n  content\n  success\n  durationMs\n}\n\nfragment DoneStepFields on DoneStep {\n  id\n  index\n  seq\n  messageId\n  tokenCount\n  iterations\n  finishReason\n  usage {\n    promptTokens\n    completionTokens\n    totalTokens\n    reasoningTokens\n  }\n}\n\nfragment ErrorStepFields on ErrorStep {\n  id\n  index\n  seq\n  code\n  message\n  retryable\n  partialMessageId\n}\n\nsubscription ChatSteps($runId: ID!, $after: Int) {\n  chatSteps(runId: $runId, after: $after) {\n    __typename\n    ...ThinkingStepFields\n    ...TextStepFields\n    ...ToolCallStepFields\n    ...ToolResultStepFields\n    ...DoneStepFields\n    ...ErrorStepFields\n  }\n}": typeof types.ThinkingStepFieldsFragmentDoc,
};
const documents: Documents = {
    "query Conversations($first: Int, $after: String, $search: String) {\n  conversations(first: $first, after: $after, search: $search) {\n    edges {\n      cursor\n      node {\n        id\n        title\n        updatedAt\n        activeRun {\n          id\n          status\n          lastSeq\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.ConversationsDocument,
    "mutation SendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    run {\n      id\n      status\n      lastSeq\n    }\n    conversation {\n      id\n      title\n    }\n    userMessage {\n      id\n      text\n    }\n    clientMutationId\n  }\n}\n\nmutation CancelRun($id: ID!) {\n  cancelRun(id: $id) {\n    id\n    status\n    lastSeq\n    error {\n      code\n      message\n    }\n    assistantMessage {\n      id\n      text\n    }\n  }\n}": types.SendMessageDocument,
    "fragment ThinkingStepFields on ThinkingStep {\n  id\n  index\n  seq\n  delta\n}\n\nfragment TextStepFields on TextStep {\n  id\n  index\n  seq\n  delta\n}\n\nfragment ToolCallStepFields on ToolCallStep {\n  id\n  index\n  seq\n  toolCallId\n  name\n  arguments\n  input\n}\n\nfragment ToolResultStepFields on ToolResultStep {\n  id\n  index\n  seq\n  toolCallId\n  callStepId\n  name\n  content\n  success\n  durationMs\n}\n\nfragment DoneStepFields on DoneStep {\n  id\n  index\n  seq\n  messageId\n  tokenCount\n  iterations\n  finishReason\n  usage {\n    promptTokens\n    completionTokens\n    totalTokens\n    reasoningTokens\n  }\n}\n\nfragment ErrorStepFields on ErrorStep {\n  id\n  index\n  seq\n  code\n  message\n  retryable\n  partialMessageId\n}\n\nsubscription ChatSteps($runId: ID!, $after: Int) {\n  chatSteps(runId: $runId, after: $after) {\n    __typename\n    ...ThinkingStepFields\n    ...TextStepFields\n    ...ToolCallStepFields\n    ...ToolResultStepFields\n    ...DoneStepFields\n    ...ErrorStepFields\n  }\n}": types.ThinkingStepFieldsFragmentDoc,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Conversations($first: Int, $after: String, $search: String) {\n  conversations(first: $first, after: $after, search: $search) {\n    edges {\n      cursor\n      node {\n        id\n        title\n        updatedAt\n        activeRun {\n          id\n          status\n          lastSeq\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query Conversations($first: Int, $after: String, $search: String) {\n  conversations(first: $first, after: $after, search: $search) {\n    edges {\n      cursor\n      node {\n        id\n        title\n        updatedAt\n        activeRun {\n          id\n          status\n          lastSeq\n        }\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    run {\n      id\n      status\n      lastSeq\n    }\n    conversation {\n      id\n      title\n    }\n    userMessage {\n      id\n      text\n    }\n    clientMutationId\n  }\n}\n\nmutation CancelRun($id: ID!) {\n  cancelRun(id: $id) {\n    id\n    status\n    lastSeq\n    error {\n      code\n      message\n    }\n    assistantMessage {\n      id\n      text\n    }\n  }\n}"): (typeof documents)["mutation SendMessage($input: SendMessageInput!) {\n  sendMessage(input: $input) {\n    run {\n      id\n      status\n      lastSeq\n    }\n    conversation {\n      id\n      title\n    }\n    userMessage {\n      id\n      text\n    }\n    clientMutationId\n  }\n}\n\nmutation CancelRun($id: ID!) {\n  cancelRun(id: $id) {\n    id\n    status\n    lastSeq\n    error {\n      code\n      message\n    }\n    assistantMessage {\n      id\n      text\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment ThinkingStepFields on ThinkingStep {\n  id\n  index\n  seq\n  delta\n}\n\nfragment TextStepFields on TextStep {\n  id\n  index\n  seq\n  delta\n}\n\nfragment ToolCallStepFields on ToolCallStep {\n  id\n  index\n  seq\n  toolCallId\n  name\n  arguments\n  input\n}\n\nfragment ToolResultStepFields on ToolResultStep {\n  id\n  index\n  seq\n  toolCallId\n  callStepId\n  name\n  content\n  success\n  durationMs\n}\n\nfragment DoneStepFields on DoneStep {\n  id\n  index\n  seq\n  messageId\n  tokenCount\n  iterations\n  finishReason\n  usage {\n    promptTokens\n    completionTokens\n    totalTokens\n    reasoningTokens\n  }\n}\n\nfragment ErrorStepFields on ErrorStep {\n  id\n  index\n  seq\n  code\n  message\n  retryable\n  partialMessageId\n}\n\nsubscription ChatSteps($runId: ID!, $after: Int) {\n  chatSteps(runId: $runId, after: $after) {\n    __typename\n    ...ThinkingStepFields\n    ...TextStepFields\n    ...ToolCallStepFields\n    ...ToolResultStepFields\n    ...DoneStepFields\n    ...ErrorStepFields\n  }\n}"): (typeof documents)["fragment ThinkingStepFields on ThinkingStep {\n  id\n  index\n  seq\n  delta\n}\n\nfragment TextStepFields on TextStep {\n  id\n  index\n  seq\n  delta\n}\n\nfragment ToolCallStepFields on ToolCallStep {\n  id\n  index\n  seq\n  toolCallId\n  name\n  arguments\n  input\n}\n\nfragment ToolResultStepFields on ToolResultStep {\n  id\n  index\n  seq\n  toolCallId\n  callStepId\n  name\n  content\n  success\n  durationMs\n}\n\nfragment DoneStepFields on DoneStep {\n  id\n  index\n  seq\n  messageId\n  tokenCount\n  iterations\n  finishReason\n  usage {\n    promptTokens\n    completionTokens\n    totalTokens\n    reasoningTokens\n  }\n}\n\nfragment ErrorStepFields on ErrorStep {\n  id\n  index\n  seq\n  code\n  message\n  retryable\n  partialMessageId\n}\n\nsubscription ChatSteps($runId: ID!, $after: Int) {\n  chatSteps(runId: $runId, after: $after) {\n    __typename\n    ...ThinkingStepFields\n    ...TextStepFields\n    ...ToolCallStepFields\n    ...ToolResultStepFields\n    ...DoneStepFields\n    ...ErrorStepFields\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;