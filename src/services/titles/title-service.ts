/**
 * Generated titles: once a conversation's first message has given it its
 * first line as a title, one non-streaming call to the conversation's own
 * provider (no tools, no thinking, the first message only) asks for a few
 * words, in parallel with the run and never delaying it. The answer is
 * stored only over the first-line title it started from (a conditional
 * update: a title the user set meanwhile always wins). A failure keeps the
 * first line and is logged without the message or anything the provider
 * said. The demo model's title is computed here, without a request.
 * Imports no GraphQL; the live list hears of a new title through
 * `onTitleChanged`.
 */
import OpenAI from 'openai';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Provider } from '../../entities/index.js';
import type { ClientCache } from '../llm/client-cache.js';
import { DEMO_BASE_URL } from '../llm/demo-model.js';
import { toRunFailure } from '../llm/llm-errors.js';
import { sqlState } from '../database/db-errors.js';
import { cleanTitle, demoTitle } from './title-text.js';

/** A conversation whose first message just gave it its first line as a title. */
export interface TitleJob {
  conversationId: string;
  userId: string;
  /** The first-line title a generated one may replace. */
  firstLine: string;
  /** The first message, the only thing the provider is shown. */
  text: string;
  provider: Provider;
  /** Requests may reach only public addresses (see ClientOptions). */
  publicOnly: boolean;
  model: string;
}

/** What the run executor needs: start a title in the background. */
export interface TitleGenerator {
  generate(job: TitleJob): void;
}

export interface TitleServiceOptions {
  dataSource: Pick<DataSource, 'query'>;
  clients: Pick<ClientCache, 'clientFor'>;
  log: Logger;
  /** TITLE_GENERATION */
  enabled: boolean;
  /** How long the provider may take to answer (default TITLE_TIMEOUT_MS). */
  timeoutMs?: number;
  /** A generated title was stored (for the live conversation list). */
  onTitleChanged?: (conversationId: string, userId: string) => void;
}

export const TITLE_PROMPT =
  'You write titles for chat conversations. Reply with a title of at most six words for the conversation that ' +
  'starts with the user message below, in the language of that message. Reply with the title only: no quotes, ' +
  'no explanation, no trailing punctuation.';

/** The first message beyond this is not sent: a title needs its start, not a pasted document. */
const MAX_PROMPT_CHARS = 4_000;
export const TITLE_TIMEOUT_MS = 15_000;

/** Why no title was generated, for the log. */
type TitleFailure = { reason: 'timeout' } | { reason: 'empty' } | { reason: 'provider-error'; code: string; status?: number };

class TitleTimeout extends Error {}

export class TitleService implements TitleGenerator {
  private readonly pending = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(private readonly options: TitleServiceOptions) {}

  /** Generates and stores the title in the background; does nothing when TITLE_GENERATION is off. */
  generate(job: TitleJob): void {
    if (!this.options.enabled || this.stopping.signal.aborted) return;
    const done: Promise<void> = this.run(job).finally(() => this.pending.delete(done));
    this.pending.add(done);
  }

  /** Abandons the requests in flight (shutdown) and waits for them to settle. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.pending);
  }

  private async run(job: TitleJob): Promise<void> {
    const log = this.options.log.child({ conversationId: job.conversationId, providerId: job.provider.id });
    const outcome = await this.ask(job).then(
      (title): { title: string } | TitleFailure => (title ? { title } : { reason: 'empty' }),
      (error: unknown) => failureOf(error),
    );
    if (this.stopping.signal.aborted) return;
    if ('reason' in outcome) {
      log.warn(outcome, 'title generation failed; the first line stays');
      return;
    }
    try {
      if (await this.store(job, outcome.title)) this.options.onTitleChanged?.(job.conversationId, job.userId);
      else log.info('generated title not stored: the title changed meanwhile');
    } catch (error) {
      // The statement's parameters hold the title: only its SQLSTATE is logged.
      log.error({ sqlState: sqlState(error) }, 'generated title could not be stored');
    }
  }

  /** The cleaned title the provider (or the demo) gives the first message; '' when none. */
  private async ask(job: TitleJob): Promise<string> {
    if (job.provider.baseUrl === DEMO_BASE_URL) return demoTitle(job.text);
    const { client } = this.options.clients.clientFor(job.provider, job.publicOnly);
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new TitleTimeout()), this.options.timeoutMs ?? TITLE_TIMEOUT_MS);
    try {
      const completion = await client.chat.completions.create(
        {
          model: job.model,
          stream: false,
          messages: [
            { role: 'system', content: TITLE_PROMPT },
            { role: 'user', content: job.text.slice(0, MAX_PROMPT_CHARS) },
          ],
        },
        // A title is not worth retrying: the first line already stands in.
        { signal: AbortSignal.any([timeout.signal, this.stopping.signal]), maxRetries: 0 },
      );
      const content = completion.choices[0]?.message?.content;
      return cleanTitle(typeof content === 'string' ? content : '');
    } catch (error) {
      throw timeout.signal.aborted ? timeout.signal.reason : error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Replaces the first-line title it started from, and nothing else; true
   * when it did. updatedAt stays: it moves on what the user does (and a
   * run's end), so a late title does not reorder the list under a reader.
   */
  private async store(job: TitleJob, title: string): Promise<boolean> {
    const [, affected]: [unknown, number] = await this.options.dataSource.query(
      `UPDATE conversations SET title = $3, title_source = 'generated'
       WHERE id = $1 AND user_id = $2 AND title_source = 'first-line' AND title = $4`,
      [job.conversationId, job.userId, title, job.firstLine],
    );
    return affected > 0;
  }
}

/** What the log may say about a failed request: a reason and a code, never the provider's words or key. */
function failureOf(error: unknown): TitleFailure {
  if (error instanceof TitleTimeout) return { reason: 'timeout' };
  const status = error instanceof OpenAI.APIError ? error.status : undefined;
  return { reason: 'provider-error', code: toRunFailure(error).code, ...(status ? { status } : {}) };
}
