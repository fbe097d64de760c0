/* eslint-disable */
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = T | null | undefined;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** ISO-8601 string */
  DateTime: { input: string; output: string; }
  /** Any JSON value: at most 32 levels deep and 65536 bytes as JSON text, strings without NUL or lone surrogates */
  JSON: { input: unknown; output: unknown; }
};

export type CreateConversationInput = {
  model?: InputMaybe<Scalars['String']['input']>;
  providerId?: InputMaybe<Scalars['ID']['input']>;
  systemPrompt?: InputMaybe<Scalars['String']['input']>;
  /** 0 to 2 */
  temperature?: InputMaybe<Scalars['Float']['input']>;
  thinkingEnabled?: InputMaybe<Scalars['Boolean']['input']>;
  title?: InputMaybe<Scalars['String']['input']>;
};

export type CreateProviderInput = {
  apiKey?: InputMaybe<Scalars['String']['input']>;
  baseUrl: Scalars['String']['input'];
  defaultModel: Scalars['String']['input'];
  maxTokens?: InputMaybe<Scalars['Int']['input']>;
  name: Scalars['String']['input'];
  shared?: InputMaybe<Scalars['Boolean']['input']>;
  thinkingParams?: InputMaybe<Scalars['JSON']['input']>;
};

export type MessageRole =
  | 'ASSISTANT'
  | 'USER';

export type RunErrorCode =
  /** The provider refused the API key. */
  | 'AUTHENTICATION'
  /** cancelRun. */
  | 'CANCELLED'
  /** The conversation no longer fits the model. */
  | 'CONTEXT_LENGTH'
  | 'INTERNAL'
  /** The server stopped while the run was active. */
  | 'INTERRUPTED'
  /** The tool loop hit its limit. */
  | 'MAX_ITERATIONS'
  /** The provider answered with an error or broke the stream. */
  | 'PROVIDER_ERROR'
  /** The provider kept answering 429 after retries. */
  | 'RATE_LIMITED'
  /** No bytes from the provider for too long. */
  | 'TIMEOUT';

export type RunStatus =
  | 'CANCELLED'
  | 'COMPLETED'
  | 'FAILED'
  | 'INTERRUPTED'
  | 'QUEUED'
  | 'RUNNING';

export type SendMessageInput = {
  /** A retry with the same id within 24 hours returns the first payload and starts nothing. */
  clientMutationId?: InputMaybe<Scalars['String']['input']>;
  /** Omitted: a new conversation is created. */
  conversationId?: InputMaybe<Scalars['ID']['input']>;
  /** Names from Query.tools; omitted or []: no tools. */
  enabledTools?: InputMaybe<Array<Scalars['String']['input']>>;
  text: Scalars['String']['input'];
  /** Overrides the conversation's setting for this run. */
  thinkingEnabled?: InputMaybe<Scalars['Boolean']['input']>;
};

/** Omitted fields stay as they are; an explicit null clears a field back to its default. */
export type UpdateConversationInput = {
  model?: InputMaybe<Scalars['String']['input']>;
  providerId?: InputMaybe<Scalars['ID']['input']>;
  systemPrompt?: InputMaybe<Scalars['String']['input']>;
  temperature?: InputMaybe<Scalars['Float']['input']>;
  thinkingEnabled?: InputMaybe<Scalars['Boolean']['input']>;
  title?: InputMaybe<Scalars['String']['input']>;
};

/** Omitted fields stay as they are; apiKey: null removes the key. */
export type UpdateProviderInput = {
  apiKey?: InputMaybe<Scalars['String']['input']>;
  baseUrl?: InputMaybe<Scalars['String']['input']>;
  defaultModel?: InputMaybe<Scalars['String']['input']>;
  maxTokens?: InputMaybe<Scalars['Int']['input']>;
  name?: InputMaybe<Scalars['String']['input']>;
  thinkingParams?: InputMaybe<Scalars['JSON']['input']>;
};

export type ConversationsQueryVariables = Exact<{
  first?: InputMaybe<Scalars['Int']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
  search?: InputMaybe<Scalars['String']['input']>;
}>;


export type ConversationsQuery = { __typename?: 'Query', conversations: { __typename?: 'ConversationConnection', edges: Array<{ __typename?: 'ConversationEdge', cursor: string, node: { __typename?: 'Conversation', id: string, title?: string | null, updatedAt: string, activeRun?: { __typename?: 'Run', id: string, status: RunStatus, lastSeq: number } | null } }>, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null } } };

export type SendMessageMutationVariables = Exact<{
  input: SendMessageInput;
}>;


export type SendMessageMutation = { __typename?: 'Mutation', sendMessage: { __typename?: 'SendMessagePayload', clientMutationId?: string | null, run: { __typename?: 'Run', id: string, status: RunStatus, lastSeq: number }, conversation: { __typename?: 'Conversation', id: string, title?: string | null }, userMessage: { __typename?: 'Message', id: string, text: string } } };

export type CancelRunMutationVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type CancelRunMutation = { __typename?: 'Mutation', cancelRun: { __typename?: 'Run', id: string, status: RunStatus, lastSeq: number, error?: { __typename?: 'RunError', code: RunErrorCode, message: string } | null, assistantMessage?: { __typename?: 'Message', id: string, text: string } | null } };

export type ThinkingStepFieldsFragment = { __typename?: 'ThinkingStep', id: string, index: number, seq: number, delta: string };

export type TextStepFieldsFragment = { __typename?: 'TextStep', id: string, index: number, seq: number, delta: string };

export type ToolCallStepFieldsFragment = { __typename?: 'ToolCallStep', id: string, index: number, seq: number, toolCallId: string, name: string, arguments: string, input?: unknown | null };

export type ToolResultStepFieldsFragment = { __typename?: 'ToolResultStep', id: string, index: number, seq: number, toolCallId: string, callStepId: string, name: string, content: string, success: boolean, durationMs: number };

export type DoneStepFieldsFragment = { __typename?: 'DoneStep', id: string, index: number, seq: number, messageId: string, tokenCount: number, iterations: number, finishReason: string, usage: { __typename?: 'Usage', promptTokens: number, completionTokens: number, totalTokens: number, reasoningTokens?: number | null } };

export type ErrorStepFieldsFragment = { __typename?: 'ErrorStep', id: string, index: number, seq: number, code: RunErrorCode, message: string, retryable: boolean, partialMessageId?: string | null };

export type ChatStepsSubscriptionVariables = Exact<{
  runId: Scalars['ID']['input'];
  after?: InputMaybe<Scalars['Int']['input']>;
}>;


export type ChatStepsSubscription = { __typename?: 'Subscription', chatSteps:
    | { __typename: 'DoneStep', id: string, index: number, seq: number, messageId: string, tokenCount: number, iterations: number, finishReason: string, usage: { __typename?: 'Usage', promptTokens: number, completionTokens: number, totalTokens: number, reasoningTokens?: number | null } }
    | { __typename: 'ErrorStep', id: string, index: number, seq: number, code: RunErrorCode, message: string, retryable: boolean, partialMessageId?: string | null }
    | { __typename: 'TextStep', id: string, index: number, seq: number, delta: string }
    | { __typename: 'ThinkingStep', id: string, index: number, seq: number, delta: string }
    | { __typename: 'ToolCallStep', id: string, index: number, seq: number, toolCallId: string, name: string, arguments: string, input?: unknown | null }
    | { __typename: 'ToolResultStep', id: string, index: number, seq: number, toolCallId: string, callStepId: string, name: string, content: string, success: boolean, durationMs: number }
   };

export const ThinkingStepFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ThinkingStepFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ThinkingStep"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"delta"}}]}}]} as unknown as DocumentNode<ThinkingStepFieldsFragment, unknown>;
export const TextStepFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"TextStepFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"TextStep"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"delta"}}]}}]} as unknown as DocumentNode<TextStepFieldsFragment, unknown>;
export const ToolCallStepFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ToolCallStepFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ToolCallStep"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"toolCallId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"arguments"}},{"kind":"Field","name":{"kind":"Name","value":"input"}}]}}]} as unknown as DocumentNode<ToolCallStepFieldsFragment, unknown>;
export const ToolResultStepFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ToolResultStepFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ToolResultStep"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"toolCallId"}},{"kind":"Field","name":{"kind":"Name","value":"callStepId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"content"}},{"kind":"Field","name":{"kind":"Name","value":"success"}},{"kind":"Field","name":{"kind":"Name","value":"durationMs"}}]}}]} as unknown as DocumentNode<ToolResultStepFieldsFragment, unknown>;
export const DoneStepFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"DoneStepFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DoneStep"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"messageId"}},{"kind":"Field","name":{"kind":"Name","value":"tokenCount"}},{"kind":"Field","name":{"kind":"Name","value":"iterations"}},{"kind":"Field","name":{"kind":"Name","value":"finishReason"}},{"kind":"Field","name":{"kind":"Name","value":"usage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"promptTokens"}},{"kind":"Field","name":{"kind":"Name","value":"completionTokens"}},{"kind":"Field","name":{"kind":"Name","value":"totalTokens"}},{"kind":"Field","name":{"kind":"Name","value":"reasoningTokens"}}]}}]}}]} as unknown as DocumentNode<DoneStepFieldsFragment, unknown>;
export const ErrorStepFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ErrorStepFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ErrorStep"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"retryable"}},{"kind":"Field","name":{"kind":"Name","value":"partialMessageId"}}]}}]} as unknown as DocumentNode<ErrorStepFieldsFragment, unknown>;
export const ConversationsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Conversations"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"search"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"conversations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"search"},"value":{"kind":"Variable","name":{"kind":"Name","value":"search"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}},{"kind":"Field","name":{"kind":"Name","value":"updatedAt"}},{"kind":"Field","name":{"kind":"Name","value":"activeRun"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"lastSeq"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<ConversationsQuery, ConversationsQueryVariables>;
export const SendMessageDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SendMessage"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SendMessageInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"sendMessage"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"run"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"lastSeq"}}]}},{"kind":"Field","name":{"kind":"Name","value":"conversation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"title"}}]}},{"kind":"Field","name":{"kind":"Name","value":"userMessage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"text"}}]}},{"kind":"Field","name":{"kind":"Name","value":"clientMutationId"}}]}}]}}]} as unknown as DocumentNode<SendMessageMutation, SendMessageMutationVariables>;
export const CancelRunDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CancelRun"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cancelRun"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"lastSeq"}},{"kind":"Field","name":{"kind":"Name","value":"error"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"Field","name":{"kind":"Name","value":"assistantMessage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"text"}}]}}]}}]}}]} as unknown as DocumentNode<CancelRunMutation, CancelRunMutationVariables>;
export const ChatStepsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"ChatSteps"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"runId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"chatSteps"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"runId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"runId"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"ThinkingStepFields"}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"TextStepFields"}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"ToolCallStepFields"}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"ToolResultStepFields"}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"DoneStepFields"}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"ErrorStepFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ThinkingStepFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ThinkingStep"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"delta"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"TextStepFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"TextStep"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"delta"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ToolCallStepFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ToolCallStep"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"toolCallId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"arguments"}},{"kind":"Field","name":{"kind":"Name","value":"input"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ToolResultStepFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ToolResultStep"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"toolCallId"}},{"kind":"Field","name":{"kind":"Name","value":"callStepId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"content"}},{"kind":"Field","name":{"kind":"Name","value":"success"}},{"kind":"Field","name":{"kind":"Name","value":"durationMs"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"DoneStepFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"DoneStep"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"messageId"}},{"kind":"Field","name":{"kind":"Name","value":"tokenCount"}},{"kind":"Field","name":{"kind":"Name","value":"iterations"}},{"kind":"Field","name":{"kind":"Name","value":"finishReason"}},{"kind":"Field","name":{"kind":"Name","value":"usage"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"promptTokens"}},{"kind":"Field","name":{"kind":"Name","value":"completionTokens"}},{"kind":"Field","name":{"kind":"Name","value":"totalTokens"}},{"kind":"Field","name":{"kind":"Name","value":"reasoningTokens"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"ErrorStepFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ErrorStep"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"index"}},{"kind":"Field","name":{"kind":"Name","value":"seq"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"retryable"}},{"kind":"Field","name":{"kind":"Name","value":"partialMessageId"}}]}}]} as unknown as DocumentNode<ChatStepsSubscription, ChatStepsSubscriptionVariables>;