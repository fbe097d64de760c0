/** Who is asking: the authenticated user of a request or connection. */
export interface Viewer {
  /** The user row's id. */
  id: string;
  subject: string;
  username: string;
  permissionLevel: number;
  /** Token expiry (ms since epoch); undefined in local mode. */
  expiresAt?: number;
}

/** Permission level from which a user is an admin (may manage shared providers). */
export const ADMIN_LEVEL = 10;

export const isAdmin = (viewer: Pick<Viewer, 'permissionLevel'>): boolean => viewer.permissionLevel >= ADMIN_LEVEL;
