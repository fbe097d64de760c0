import {
  createProvider,
  deleteProvider,
  listProviders,
  providerBaseUrl,
  providerModels,
  updateProvider,
} from '../resolvers/provider-resolvers.js';
import { builder } from './builder.js';
import { ProviderRef } from './refs.js';

ProviderRef.implement({
  description:
    'An OpenAI-compatible endpoint (OpenAI, DeepSeek, Ollama, vLLM, OpenRouter, ...). The API key is write-only.',
  fields: (t) => ({
    name: t.exposeString('name'),
    baseUrl: t.string({
      description: "Never with a user or password; empty for non-admins on shared providers (their address is the operator's).",
      resolve: (p, _args, ctx) => providerBaseUrl(ctx, p),
    }),
    defaultModel: t.exposeString('defaultModel'),
    maxTokens: t.exposeInt('maxTokens', { nullable: true }),
    hasApiKey: t.boolean({ resolve: (p) => p.apiKeyCiphertext !== null }),
    apiKeyHint: t.exposeString('apiKeyHint', { nullable: true, description: 'Last 4 characters at most.' }),
    shared: t.exposeBoolean('shared', { description: 'Usable by every user; only admins create these.' }),
    managedByConfiguration: t.boolean({
      description: 'Kept in step with the server configuration (LLM_*, DEMO_MODEL); not editable through the API.',
      resolve: (p) => p.managedBy !== null,
    }),
    models: t.stringList({
      description: "The endpoint's models (GET /models); empty if unavailable.",
      resolve: (p, _args, ctx) => providerModels(ctx, p),
    }),
    thinkingParams: t.field({
      type: 'JSON',
      nullable: true,
      description: 'Request fields added when thinking is on.',
      resolve: (p) => p.thinkingParams,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const CreateProviderInput = builder.inputType('CreateProviderInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    baseUrl: t.string({ required: true }),
    apiKey: t.string(),
    defaultModel: t.string({ required: true }),
    maxTokens: t.int(),
    shared: t.boolean(),
    thinkingParams: t.field({ type: 'JSON' }),
  }),
});

const UpdateProviderInput = builder.inputType('UpdateProviderInput', {
  description: 'Omitted fields stay as they are; apiKey: null removes the key.',
  fields: (t) => ({
    name: t.string(),
    baseUrl: t.string(),
    apiKey: t.string(),
    defaultModel: t.string(),
    maxTokens: t.int(),
    thinkingParams: t.field({ type: 'JSON' }),
  }),
});

builder.queryField('providers', (t) =>
  t.field({
    type: [ProviderRef],
    description: 'Providers the viewer may use: their own and shared ones.',
    resolve: (_root, _args, ctx) => listProviders(ctx),
  }),
);

builder.mutationFields((t) => ({
  createProvider: t.field({
    type: ProviderRef,
    args: { input: t.arg({ type: CreateProviderInput, required: true }) },
    resolve: (_root, { input }, ctx) => createProvider(ctx, input as never),
  }),
  updateProvider: t.field({
    type: ProviderRef,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateProviderInput, required: true }) },
    resolve: (_root, { id, input }, ctx) => updateProvider(ctx, String(id), input as never),
  }),
  deleteProvider: t.field({
    type: 'ID',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => deleteProvider(ctx, String(id)),
  }),
}));
