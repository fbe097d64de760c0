import { InitialSchema1764201600000 } from './1764201600000-initial-schema.js';
import { DeferredTurnKeys1764288000000 } from './1764288000000-deferred-turn-keys.js';
import { ConversationTimestamps1764291600000 } from './1764291600000-conversation-timestamps.js';
import { ActiveRunsByUser1764374400000 } from './1764374400000-active-runs-by-user.js';
import { ConversationTitleSource1764640800000 } from './1764640800000-conversation-title-source.js';

/** Every migration, oldest first. A merged migration is never edited: add a new one. */
export const migrations = [
  InitialSchema1764201600000,
  DeferredTurnKeys1764288000000,
  ConversationTimestamps1764291600000,
  ActiveRunsByUser1764374400000,
  ConversationTitleSource1764640800000,
];
