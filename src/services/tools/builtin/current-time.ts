import { z } from 'zod';
import { defineTool } from '../tool.js';

const isTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

export const currentTime = defineTool({
  name: 'current_time',
  description: 'The current date and time, in UTC or in an IANA time zone such as "Europe/Paris".',
  parameters: z
    .object({
      timeZone: z.string().max(64).refine(isTimeZone, 'must be an IANA time zone').optional(),
    })
    .strict(),
  minPermissionLevel: 1,
  timeoutMs: 1_000,
  source: 'builtin',
  execute: ({ timeZone }) => {
    const now = new Date();
    const zone = timeZone ?? 'UTC';
    const local = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      dateStyle: 'short',
      timeStyle: 'long',
      hourCycle: 'h23',
    }).format(now);
    return { iso: now.toISOString(), timeZone: zone, local };
  },
});
