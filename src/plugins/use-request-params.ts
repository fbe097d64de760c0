/**
 * Malformed request parameters are the client's error. Yoga's GET and
 * form-urlencoded parsers `JSON.parse` the `variables` and `extensions`
 * parameters without catching, so `?variables=notjson` surfaced as a masked
 * INTERNAL_SERVER_ERROR; it is a 400 BAD_REQUEST, as an invalid JSON body is.
 */
import type { Plugin } from 'graphql-yoga';
import { graphqlError } from '../graphql-error.js';

export function useRequestParams(): Plugin {
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (!requestParser) return;
      setRequestParser(async (request) => {
        try {
          return await requestParser(request);
        } catch (error) {
          if (!(error instanceof SyntaxError)) throw error;
          // V8's message quotes the text it choked on (an API key, message text): say only where.
          const position = /at position (\d+)/.exec(error.message)?.[1];
          throw graphqlError(`Request parameters are not valid JSON${position ? ` (at position ${position})` : ''}.`, 'BAD_REQUEST', {
            extensions: { http: { status: 400 } },
          });
        }
      });
    },
  };
}
