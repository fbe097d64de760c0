import { builder } from './builder.js';

export const MessageRoleEnum = builder.enumType('MessageRole', { values: ['USER', 'ASSISTANT'] as const });

export const RunStatusEnum = builder.enumType('RunStatus', {
  values: ['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'INTERRUPTED'] as const,
});

export const RunErrorCodeEnum = builder.enumType('RunErrorCode', {
  values: {
    PROVIDER_ERROR: { description: 'The provider answered with an error or broke the stream.' },
    RATE_LIMITED: { description: 'The provider kept answering 429 after retries.' },
    AUTHENTICATION: { description: 'The provider refused the API key.' },
    TIMEOUT: { description: 'No bytes from the provider for too long.' },
    MAX_ITERATIONS: { description: 'The tool loop hit its limit.' },
    CONTEXT_LENGTH: { description: 'The conversation no longer fits the model.' },
    CANCELLED: { description: 'cancelRun.' },
    INTERRUPTED: { description: 'The server stopped while the run was active.' },
    INTERNAL: {},
  } as const,
});
