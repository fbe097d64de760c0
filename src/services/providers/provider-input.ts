/**
 * What clients may send when they create or change a provider, validated
 * with zod: bounded text, an http(s) base URL without credentials, and
 * thinking parameters that cannot override what the server sets itself.
 */
import { z } from 'zod';
import { text, wellFormedText } from '../validation.js';

/** Request fields the server sets itself; thinkingParams may not override them. */
const RESERVED_PARAMS = ['model', 'messages', 'stream', 'stream_options', 'tools', 'tool_choice', 'n'];

// Well-formed before URL parsing: the parser would store a lone surrogate as %EF%BF%BD.
const baseUrl = wellFormedText(z.string().max(2000, 'must be at most 2000 characters'))
  .refine((v) => URL.canParse(v), 'must be an http(s) URL')
  .transform((v) => new URL(v))
  .refine((u) => u.protocol === 'http:' || u.protocol === 'https:', 'must be an http(s) URL')
  .refine((u) => !u.username && !u.password, 'must not contain credentials; use apiKey')
  .transform((u) => u.toString().replace(/\/+$/, ''));

const thinkingParams = z
  .record(z.string(), z.unknown(), { message: 'must be a JSON object' })
  .refine((v) => JSON.stringify(v).length <= 4000, 'must be at most 4000 characters of JSON')
  .refine((v) => !Object.keys(v).some((k) => RESERVED_PARAMS.includes(k)), {
    message: `must not set ${RESERVED_PARAMS.join(', ')}`,
  });

const fields = {
  name: text(100).trim().min(1, 'must not be empty'),
  baseUrl,
  apiKey: text(1000).min(1, 'must not be empty'),
  defaultModel: text(200).trim().min(1, 'must not be empty'),
  maxTokens: z.number().int('must be a whole number').min(1).max(10_000_000),
  thinkingParams,
};

export const createSchema = z
  .object({
    name: fields.name,
    baseUrl: fields.baseUrl,
    apiKey: fields.apiKey.nullish(),
    defaultModel: fields.defaultModel,
    maxTokens: fields.maxTokens.nullish(),
    shared: z.boolean().nullish(),
    thinkingParams: fields.thinkingParams.nullish(),
  })
  .strict();

export const updateSchema = z
  .object({
    name: fields.name.optional(),
    baseUrl: fields.baseUrl.optional(),
    apiKey: fields.apiKey.nullish(),
    defaultModel: fields.defaultModel.optional(),
    maxTokens: fields.maxTokens.nullish(),
    thinkingParams: fields.thinkingParams.nullish(),
  })
  .strict()
  .superRefine((v, ctx) => {
    for (const key of ['name', 'baseUrl', 'defaultModel'] as const) {
      if ((v as Record<string, unknown>)[key] === null) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'cannot be cleared' });
      }
    }
  });

export type CreateProviderInput = z.input<typeof createSchema>;
export type UpdateProviderInput = z.input<typeof updateSchema>;
