/**
 * Runs as the API sees them: sendMessage stores the user message, a QUEUED
 * run and an empty assistant message in one statement and starts the run
 * in the background; cancelRun stops it and returns it once it has stopped;
 * chatSteps follows its events. Every call is scoped to the viewer.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import { Conversation, Message, Run } from '../../entities/index.js';
import { BadUserInputError, ConversationBusyError, ForbiddenError, NoProviderError, NotFoundError, RateLimitedError } from '../errors.js';
import type { ProviderService } from '../providers/provider-service.js';
import type { ToolRegistry } from '../tools/tool-registry.js';
import type { Viewer } from '../users/viewer.js';
import { parseInput, text } from '../validation.js';
import type { EventBus } from './event-bus.js';
import { closingIterator } from '../async-iteration.js';
import { followRun, openFollow } from './follow-run.js';
import { SendLimiter } from './send-limiter.js';
import { insertTurn } from './turn-insert.js';
import type { RunEventStore } from './run-event-store.js';
import type { RunExecutor } from './run-executor.js';
import type { StepView } from './step-view.js';

const IDEMPOTENCY_WINDOW_HOURS = 24;
/** How long cancelRun waits for a run on another instance to stop. */
const CANCEL_WAIT_MS = 10_000;

const sendSchema = (maxChars: number) =>
  z
  .object({
    conversationId: z.string().nullish(),
    text: text(maxChars).refine((t) => t.trim().length > 0, 'must not be empty'),
    enabledTools: z.array(z.string().max(64)).max(64, 'at most 64 tools').nullish(),
    thinkingEnabled: z.boolean().nullish(),
    clientMutationId: text(200).min(1).nullish(),
  })
  .strict();

export type SendMessageInput = z.input<ReturnType<typeof sendSchema>>;

export interface RunServiceOptions {
  subscriberMaxLagEvents: number;
  messageChars: number;
  activeRunsPerUser: number;
  sendsPerMinute: number;
}

export interface SendMessageResult {
  run: Run;
  conversation: Conversation;
  userMessage: Message;
  clientMutationId: string | null;
}

/** A short title from the first message, for conversations created by sendMessage. */
function titleFrom(text: string): string {
  const line = text.trim().split('\n')[0]!.trim();
  return line.length <= 80 ? line : `${line.slice(0, 77).trimEnd()}...`;
}

const isActiveRunViolation = (error: unknown) =>
  (error as { driverError?: { code?: string; constraint?: string } }).driverError?.code === '23505' ||
  (error as { code?: string }).code === '23505';

export class RunService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: ProviderService,
    private readonly registry: ToolRegistry,
    private readonly executor: RunExecutor,
    private readonly store: RunEventStore,
    private readonly bus: EventBus,
    private readonly options: RunServiceOptions,
  ) {
    this.schema = sendSchema(options.messageChars);
    this.limiter = new SendLimiter(options.sendsPerMinute);
  }

  private readonly schema: ReturnType<typeof sendSchema>;
  private readonly limiter: SendLimiter;

  async byIds(viewer: Viewer, ids: readonly string[]): Promise<Run[]> {
    return this.dataSource
      .getRepository(Run)
      .createQueryBuilder('r')
      .where('r.id = ANY(:ids) AND r.user_id = :userId', { ids, userId: viewer.id })
      .getMany();
  }

  async get(viewer: Viewer, id: string): Promise<Run> {
    const [run] = await this.byIds(viewer, [id]);
    if (!run) throw new NotFoundError('run');
    return run;
  }

  /** The QUEUED or RUNNING run of each conversation that has one. */
  async activeByConversationIds(viewer: Viewer, conversationIds: readonly string[]): Promise<Run[]> {
    return this.dataSource
      .getRepository(Run)
      .createQueryBuilder('r')
      .where(`r.conversation_id = ANY(:conversationIds) AND r.user_id = :userId AND r.status IN ('QUEUED', 'RUNNING')`, {
        conversationIds,
        userId: viewer.id,
      })
      .getMany();
  }

  /**
   * Stores the user message, the run and its empty assistant message, then
   * starts the run. Throws NOT_FOUND (conversation), BAD_USER_INPUT (text,
   * unknown tools), FORBIDDEN (tools above the viewer's level),
   * NO_PROVIDER, CONVERSATION_BUSY; a refused message stores nothing.
   */
  async sendMessage(viewer: Viewer, input: SendMessageInput): Promise<SendMessageResult> {
    const values = parseInput(this.schema, input);
    const enabledTools = [...new Set(values.enabledTools ?? [])];
    const unknown = enabledTools.filter((name) => !this.registry.has(name));
    if (unknown.length > 0) throw new BadUserInputError(`enabledTools: unknown tool ${unknown.map((n) => `"${n}"`).join(', ')}`);
    const forbidden = enabledTools.filter((name) => this.registry.get(name)!.minPermissionLevel > viewer.permissionLevel);
    if (forbidden.length > 0) throw new ForbiddenError(`You may not use the tool ${forbidden.map((n) => `"${n}"`).join(', ')}.`);

    const hasDefaultProvider = await this.providers.defaultProvider().then(
      () => true,
      (error: unknown) => {
        if (error instanceof NoProviderError) return false;
        throw error;
      },
    );
    const store = async (db: DataSource | EntityManager) => {
      // Counted only for sends that start a run: a refused send gives its place back.
      const taken = this.limiter.take(viewer.id);
      const turn = await this.storeTurn(db, viewer, values, enabledTools, hasDefaultProvider).catch((error: unknown) => {
        this.limiter.giveBack(viewer.id, taken);
        throw error;
      });
      return { ...turn, clientMutationId: values.clientMutationId ?? null, started: true };
    };
    const result = await (values.clientMutationId
      ? this.dataSource.transaction(async (manager) => {
          // Serialise retries of one mutation so two concurrent ones cannot both start a run.
          await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${viewer.id}:${values.clientMutationId}`]);
          const previous = await this.previousSend(manager, viewer, values.clientMutationId!);
          if (previous) return { ...previous, started: false };
          return store(manager);
        })
      : store(this.dataSource)
    ).catch((error: unknown) => {
      if (isActiveRunViolation(error)) throw new ConversationBusyError();
      throw error;
    });
    if (result.started) {
      this.executor.start(result.run, {
        conversation: result.conversation,
        userMessage: result.userMessage,
        user: viewer,
        newConversation: !values.conversationId,
      });
    }
    const { started: _started, ...payload } = result;
    return payload;
  }

  /** Stores the turn (one statement, see turn-insert.ts) and returns the rows the run and the payload need. */
  private async storeTurn(
    db: DataSource | EntityManager,
    viewer: Viewer,
    values: ReturnType<typeof parseInput<ReturnType<typeof sendSchema>>>,
    enabledTools: string[],
    hasDefaultProvider: boolean,
  ): Promise<{ run: Run; userMessage: Message; conversation: Conversation }> {
    const runId = randomUUID();
    const userMessageId = randomUUID();
    const assistantMessageId = randomUUID();
    const newConversation = !values.conversationId;
    const outcome = await insertTurn(db, {
      userId: viewer.id,
      conversationId: values.conversationId ?? randomUUID(),
      newConversation,
      title: newConversation ? titleFrom(values.text) : null,
      runId,
      userMessageId,
      assistantMessageId,
      text: values.text,
      enabledTools,
      thinkingEnabled: values.thinkingEnabled ?? null,
      clientMutationId: values.clientMutationId ?? null,
      ownerInstance: this.executor.instanceId,
      activeRunsPerUser: this.options.activeRunsPerUser,
      hasDefaultProvider,
    });
    switch (outcome.kind) {
      case 'not-found':
        throw new NotFoundError('conversation');
      case 'busy':
        throw new ConversationBusyError();
      case 'too-many-active':
        throw new RateLimitedError(`At most ${this.options.activeRunsPerUser} runs may be active at once; wait for one to end.`, 1_000);
      case 'no-provider':
        throw new NoProviderError();
      default:
        break;
    }
    const { conversation } = outcome;
    const userMessage = Object.assign(new Message(), {
      id: userMessageId,
      position: outcome.userPosition,
      conversationId: conversation.id,
      userId: viewer.id,
      runId,
      role: 'user' as const,
      text: values.text,
      steps: [],
      tokenCount: null,
      usage: null,
      createdAt: outcome.userCreatedAt,
    });
    const run = Object.assign(new Run(), {
      id: runId,
      conversationId: conversation.id,
      userId: viewer.id,
      userMessageId,
      assistantMessageId,
      status: 'QUEUED' as const,
      iterations: 0,
      usage: null,
      errorCode: null,
      errorMessage: null,
      lastSeq: 0,
      enabledTools,
      thinkingEnabled: outcome.thinkingEnabled,
      clientMutationId: values.clientMutationId ?? null,
      ownerInstance: this.executor.instanceId,
      heartbeatAt: outcome.startedAt,
      startedAt: outcome.startedAt,
      finishedAt: null,
    });
    return { run, userMessage, conversation };
  }

  private async previousSend(manager: EntityManager, viewer: Viewer, clientMutationId: string) {
    const run = await manager
      .getRepository(Run)
      .createQueryBuilder('r')
      .where('r.user_id = :userId AND r.client_mutation_id = :clientMutationId', { userId: viewer.id, clientMutationId })
      .andWhere(`r.started_at > clock_timestamp() - interval '${IDEMPOTENCY_WINDOW_HOURS} hours'`)
      .orderBy('r.started_at', 'DESC')
      .getOne();
    if (!run) return undefined;
    const conversation = await manager.getRepository(Conversation).findOneBy({ id: run.conversationId });
    const userMessage = await manager.getRepository(Message).findOneBy({ id: run.userMessageId });
    if (!conversation || !userMessage) return undefined;
    return { run, conversation, userMessage, clientMutationId };
  }

  /**
   * Stops a run and returns it once stopped; a finished run is returned as it is.
   * Throws ConflictError when the run executes on another instance that cannot be
   * reached now (Redis down): the caller may try again.
   */
  async cancel(viewer: Viewer, id: string): Promise<Run> {
    const run = await this.get(viewer, id);
    if (run.status !== 'QUEUED' && run.status !== 'RUNNING') return run;
    if (!(await this.executor.cancel(run.id))) {
      // Executing on another instance: ask it, and wait (bounded) until the run has ended.
      await this.bus.requestCancel(run.id);
      const ended = await this.waitUntilEnded(run.id, CANCEL_WAIT_MS);
      // Its owner may be gone: the sweep ends it once the lease has expired.
      if (!ended) await this.executor.sweep();
    }
    return this.get(viewer, id);
  }

  private async waitUntilEnded(runId: string, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (!(await this.isActive(runId))) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return false;
  }

  private async isActive(runId: string): Promise<boolean> {
    const rows: { status: string }[] = await this.dataSource.query(`SELECT status FROM runs WHERE id = $1`, [runId]);
    return rows[0]?.status === 'QUEUED' || rows[0]?.status === 'RUNNING';
  }

  /** The run's steps from `after` on; NOT_FOUND for runs the viewer cannot see. */
  async chatSteps(viewer: Viewer, runId: string, after: number): Promise<AsyncIterableIterator<StepView>> {
    if (!Number.isInteger(after) || after < 0) throw new BadUserInputError('after must be a whole number of 0 or more.');
    const deps = {
      store: this.store,
      bus: this.bus,
      maxLag: this.options.subscriberMaxLagEvents,
      localStart: (id: string, userId: string, from: number) => this.executor.localFollowStart(id, userId, from),
    };
    const start = await openFollow(deps, runId, viewer.id, after);
    if (!start) throw new NotFoundError('run');
    return closingIterator(followRun(deps, runId, after, start), () => start.live.close());
  }

  /** Cancels the conversation's active run, if any, before it is deleted. */
  async cancelActive(viewer: Viewer, conversationId: string): Promise<void> {
    const [active] = await this.activeByConversationIds(viewer, [conversationId]);
    if (active) await this.cancel(viewer, active.id);
  }

  /** Active runs as stored so far: their partial answers' steps and their lastSeq, from one read. */
  async liveState(runIds: readonly string[]) {
    return this.store.liveState(runIds);
  }
}
