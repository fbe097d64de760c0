import { InitialSchema1764201600000 } from './1764201600000-initial-schema.js';

/** Every migration, oldest first. A merged migration is never edited: add a new one. */
export const migrations = [InitialSchema1764201600000];
