import { Conversation } from './conversation.entity.js';
import { Message } from './message.entity.js';
import { Provider } from './provider.entity.js';
import { RunEvent } from './run-event.entity.js';
import { Run } from './run.entity.js';
import { Setting } from './setting.entity.js';
import { User } from './user.entity.js';
import { migrations } from './migrations/index.js';

export { Conversation, Message, Provider, Run, RunEvent, Setting, User, migrations };
export * from './run.entity.js';
export type { TitleSource } from './conversation.entity.js';
export type { MessageRole } from './message.entity.js';
export type { RunEventType } from './run-event.entity.js';

export const entities = [User, Provider, Conversation, Message, Run, RunEvent, Setting];

