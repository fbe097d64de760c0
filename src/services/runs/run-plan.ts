/**
 * What a run needs beyond its row: the conversation's provider and model,
 * the history the model is sent, and the tools it is offered. Read from
 * storage, except what sendMessage already holds and hands over (the seed).
 */
import type { ChatCompletionTool } from 'openai/resources/chat/completions';
import type { DataSource } from 'typeorm';
import { Conversation, Message, Provider, User, type Run } from '../../entities/index.js';
import type { ProviderService } from '../providers/provider-service.js';
import type { ToolRegistry } from '../tools/tool-registry.js';
import { buildHistory } from './history.js';

/** The rows sendMessage wrote or read for a run, handed over so the run does not read them again. */
export interface RunSeed {
  conversation: Conversation;
  userMessage: Message;
  /** Whose tools run (permission level as of the send). */
  user: { id: string; username: string; permissionLevel: number };
  /** The send created the conversation: there is no history to read. */
  newConversation?: boolean;
  /** The first-line title this send gave the conversation: a generated title may replace it. */
  firstLineTitle?: string;
}

export interface RunPlan {
  conversation: Conversation;
  user: RunSeed['user'];
  provider: Provider;
  /** Requests may reach only public addresses (a non-admin's private provider). */
  publicOnly: boolean;
  model: string;
  tools: ChatCompletionTool[];
  messages: ReturnType<typeof buildHistory>;
}

export interface RunPlannerOptions {
  dataSource: DataSource;
  providers: ProviderService;
  registry: ToolRegistry;
}

export class RunPlanner {
  constructor(private readonly options: RunPlannerOptions) {}

  /** The plan of `run`, from its seed. */
  async plan(run: Run, { conversation, userMessage, user, newConversation }: RunSeed): Promise<RunPlan> {
    const { dataSource, providers, registry } = this.options;
    const provider =
      (conversation.providerId ? await dataSource.manager.findOneBy(Provider, { id: conversation.providerId }) : null) ??
      (await providers.defaultProvider());
    const earlier = newConversation ? [] : await this.earlierMessages(run.conversationId, userMessage.position);
    const tools: ChatCompletionTool[] = run.enabledTools.flatMap((name) => {
      const info = registry.info(name);
      if (!info || info.minPermissionLevel > user.permissionLevel) return [];
      return [{ type: 'function' as const, function: { name: info.name, description: info.description, parameters: info.parameters } }];
    });
    return {
      conversation,
      user,
      provider,
      publicOnly: providers.publicOnly(provider, user),
      model: conversation.model ?? provider.defaultModel,
      tools,
      messages: buildHistory(conversation.systemPrompt, earlier, userMessage.text),
    };
  }

  /** The seed of a stored run (one claimed to continue it): its conversation, user message and user. */
  async seedOf(run: Run): Promise<RunSeed | undefined> {
    const { manager } = this.options.dataSource;
    const [conversation, userMessage, user] = await Promise.all([
      manager.findOneBy(Conversation, { id: run.conversationId }),
      manager.findOneBy(Message, { id: run.userMessageId }),
      manager.findOneBy(User, { id: run.userId }),
    ]);
    if (!conversation || !userMessage || !user) return undefined;
    return { conversation, userMessage, user };
  }

  private earlierMessages(conversationId: string, position: string): Promise<Message[]> {
    return this.options.dataSource.manager
      .getRepository(Message)
      .createQueryBuilder('m')
      .where('m.conversation_id = :conversationId AND m.position < :position', { conversationId, position })
      .orderBy('m.position', 'ASC')
      .getMany();
  }
}
