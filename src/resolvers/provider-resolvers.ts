/** Providers: check the viewer, decode ids, call the provider service. */
import type { Provider } from '../entities/index.js';
import type { CreateProviderInput, UpdateProviderInput } from '../services/providers/provider-input.js';
import { type GraphQLContext, requireViewer } from './context.js';
import { requireRowId } from './ids.js';

export function listProviders(ctx: GraphQLContext): Promise<Provider[]> {
  return ctx.services.providers.list(requireViewer(ctx));
}

export function createProvider(ctx: GraphQLContext, input: CreateProviderInput): Promise<Provider> {
  return ctx.services.providers.create(requireViewer(ctx), input);
}

export function updateProvider(ctx: GraphQLContext, globalId: string, input: UpdateProviderInput): Promise<Provider> {
  const viewer = requireViewer(ctx);
  return ctx.services.providers.update(viewer, requireRowId(globalId, 'Provider'), input);
}

export async function deleteProvider(ctx: GraphQLContext, globalId: string): Promise<string> {
  const viewer = requireViewer(ctx);
  await ctx.services.providers.delete(viewer, requireRowId(globalId, 'Provider'));
  return globalId;
}

export function providerModels(ctx: GraphQLContext, provider: Provider): Promise<string[]> {
  return ctx.services.providers.models(requireViewer(ctx), provider);
}

export function providerBaseUrl(ctx: GraphQLContext, provider: Provider): string {
  return ctx.services.providers.visibleBaseUrl(requireViewer(ctx), provider);
}
