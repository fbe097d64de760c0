/**
 * Runs as the API sees them: sendMessage stores the user message, a QUEUED
 * run and an empty assistant message in one statement and starts the run
 * in the background; cancelRun stops it and returns it once it has stopped;
 * chatSteps follows its events. Every call is scoped to the viewer.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { Conversation, Message, Run } from '../../entities/index.js';
import { closingIterator } from '../async-iteration.js';
import { sqlState, UNIQUE_VIOLATION } from '../database/db-errors.js';
import { BadUserInputError, ConversationBusyError, ForbiddenError, NoProviderError, NotFoundError, RateLimitedError } from '../errors.js';
import type { ProviderService } from '../providers/provider-service.js';
import type { ToolRegistry } from '../tools/tool-registry.js';
import type { Viewer } from '../users/viewer.js';
import { parseInput } from '../validation.js';
import type { EventBus } from './event-bus.js';
import { followRun, openFollow } from './follow-run.js';
import { cancelElsewhere } from './run-cancel.js';
import { ACTIVE_STATUSES_SQL, isActiveStatus } from './run-ending.js';
import type { RunEventStore } from './run-event-store.js';
import type { RunExecutor } from './run-executor.js';
import type { RunLeases } from './run-leases.js';
import { RedisEventBus } from './redis-event-bus.js';
import { SendLimiter } from './send-limiter.js';
import type { StepView } from './step-view.js';
import { sendSchema, titleFrom, type SendMessageInput, type SendValues } from './send-input.js';
import { insertTurn } from './turn-insert.js';

const IDEMPOTENCY_WINDOW_HOURS = 24;
/** How long cancelRun waits for a run to stop. */
const CANCEL_WAIT_MS = 10_000;

export interface RunServiceLimits {
  subscriberMaxLagEvents: number;
  messageChars: number;
  activeRunsPerUser: number;
  sendsPerMinute: number;
}

export interface RunServiceOptions {
  dataSource: DataSource;
  providers: ProviderService;
  registry: ToolRegistry;
  executor: RunExecutor;
  leases: RunLeases;
  store: RunEventStore;
  bus: EventBus;
  limits: RunServiceLimits;
}

export interface SendMessageResult {
  run: Run;
  conversation: Conversation;
  userMessage: Message;
  clientMutationId: string | null;
}

export class RunService {
  private readonly dataSource: DataSource;
  private readonly executor: RunExecutor;
  private readonly limits: RunServiceLimits;
  private readonly schema: ReturnType<typeof sendSchema>;
  private readonly limiter: SendLimiter;

  constructor(private readonly options: RunServiceOptions) {
    ({ dataSource: this.dataSource, executor: this.executor, limits: this.limits } = options);
    this.schema = sendSchema(this.limits.messageChars);
    this.limiter = new SendLimiter({
      perMinute: this.limits.sendsPerMinute,
      redis: options.bus instanceof RedisEventBus ? options.bus.commands : undefined,
    });
  }

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
      .where(`r.conversation_id = ANY(:conversationIds) AND r.user_id = :userId AND r.status IN ${ACTIVE_STATUSES_SQL}`, {
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
    const { registry, providers } = this.options;
    const unknown = enabledTools.filter((name) => !registry.has(name));
    if (unknown.length > 0) throw new BadUserInputError(`enabledTools: unknown tool ${unknown.map((n) => `"${n}"`).join(', ')}`);
    const forbidden = enabledTools.filter((name) => (registry.get(name)?.minPermissionLevel ?? 0) > viewer.permissionLevel);
    if (forbidden.length > 0) throw new ForbiddenError(`You may not use the tool ${forbidden.map((n) => `"${n}"`).join(', ')}.`);

    const hasDefaultProvider = await providers.defaultProvider().then(
      () => true,
      (error: unknown) => {
        if (error instanceof NoProviderError) return false;
        throw error;
      },
    );
    const store = async (db: DataSource | EntityManager) => {
      // Counted only for sends that start a run: a refused send gives its place back.
      const taken = await this.limiter.take(viewer.id);
      const turn = await this.storeTurn(db, viewer, values, enabledTools, hasDefaultProvider).catch((error: unknown) => {
        this.limiter.giveBack(viewer.id, taken);
        throw error;
      });
      return { ...turn, clientMutationId: values.clientMutationId ?? null, started: true as const };
    };
    const { clientMutationId } = values;
    const result = await (clientMutationId
      ? this.dataSource.transaction(async (manager) => {
          // Serialise retries of one mutation so two concurrent ones cannot both start a run.
          await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${viewer.id}:${clientMutationId}`]);
          const previous = await this.previousSend(manager, viewer, clientMutationId);
          if (previous) return { ...previous, started: false as const };
          return store(manager);
        })
      : store(this.dataSource)
    ).catch((error: unknown) => {
      // Two sends racing for one conversation: the partial unique index on its active run decides.
      if (sqlState(error) === UNIQUE_VIOLATION) throw new ConversationBusyError();
      throw error;
    });
    const { run, conversation, userMessage } = result;
    if (result.started) {
      this.executor.start(run, {
        conversation,
        userMessage,
        user: viewer,
        newConversation: !values.conversationId,
        // The first line stands in until a generated title replaces it.
        firstLineTitle: result.firstLineTitled ? (conversation.title ?? undefined) : undefined,
      });
    }
    return { run, conversation, userMessage, clientMutationId: result.clientMutationId };
  }

  /** Stores the turn (one statement, see turn-insert.ts) and returns the rows the run and the payload need. */
  private async storeTurn(db: DataSource | EntityManager, viewer: Viewer, values: SendValues, enabledTools: string[], hasDefaultProvider: boolean) {
    const newConversation = !values.conversationId;
    const outcome = await insertTurn(db, {
      userId: viewer.id,
      conversationId: values.conversationId ?? randomUUID(),
      newConversation,
      title: titleFrom(values.text),
      runId: randomUUID(),
      userMessageId: randomUUID(),
      assistantMessageId: randomUUID(),
      text: values.text,
      enabledTools,
      thinkingEnabled: values.thinkingEnabled ?? null,
      clientMutationId: values.clientMutationId ?? null,
      ownerInstance: this.options.leases.instanceId,
      activeRunsPerUser: this.limits.activeRunsPerUser,
      hasDefaultProvider,
    });
    switch (outcome.kind) {
      case 'stored':
        return {
          run: outcome.run,
          userMessage: outcome.userMessage,
          conversation: outcome.conversation,
          firstLineTitled: outcome.firstLineTitled,
        };
      case 'not-found':
        throw new NotFoundError('conversation');
      case 'busy':
        throw new ConversationBusyError();
      case 'too-many-active':
        throw new RateLimitedError(`At most ${this.limits.activeRunsPerUser} runs may be active at once; wait for one to end.`, 1_000);
      case 'no-provider':
        throw new NoProviderError();
    }
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
   * Stops a run and returns it once stopped (waiting a bounded time); a
   * finished run is returned as it is. Throws ConflictError when the run
   * executes on another instance that cannot be reached now (Redis down):
   * the caller may try again.
   */
  async cancel(viewer: Viewer, id: string): Promise<Run> {
    const run = await this.get(viewer, id);
    if (!isActiveStatus(run.status)) return run;
    if (!(await this.executor.cancel(run.id, CANCEL_WAIT_MS))) await cancelElsewhere(this.options, run.id, CANCEL_WAIT_MS);
    return this.get(viewer, id);
  }

  /** The run's steps from `after` on; NOT_FOUND for runs the viewer cannot see. */
  async chatSteps(viewer: Viewer, runId: string, after: number): Promise<AsyncIterableIterator<StepView>> {
    if (!Number.isInteger(after) || after < 0) throw new BadUserInputError('after must be a whole number of 0 or more.');
    const deps = {
      store: this.options.store,
      bus: this.options.bus,
      maxLag: this.limits.subscriberMaxLagEvents,
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
    return this.options.store.liveState(runIds);
  }
}
