/**
 * Users are created on first sight of their token's `sub` and kept in step
 * with its claims. A small in-process cache skips the upsert when nothing
 * changed, so an authenticated request costs no statement for its user.
 */
import type { DataSource } from 'typeorm';
import { User } from '../../entities/index.js';

export interface UserClaims {
  subject: string;
  username: string;
  permissionLevel: number;
}

export class UserService {
  private readonly known = new Map<string, User>();

  constructor(private readonly dataSource: DataSource) {}

  /** Returns the user for these claims, creating or updating the row if needed. */
  async ensure(claims: UserClaims): Promise<User> {
    const cached = this.known.get(claims.subject);
    if (cached && cached.username === claims.username && cached.permissionLevel === claims.permissionLevel) {
      return cached;
    }
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `INSERT INTO users (subject, username, permission_level) VALUES ($1, $2, $3)
       ON CONFLICT (subject) DO UPDATE SET username = EXCLUDED.username, permission_level = EXCLUDED.permission_level
       RETURNING id, subject, username, permission_level, created_at`,
      [claims.subject, claims.username, claims.permissionLevel],
    );
    const row = rows[0]!;
    const user = Object.assign(new User(), {
      id: row.id as string,
      subject: row.subject as string,
      username: row.username as string,
      permissionLevel: row.permission_level as number,
      createdAt: row.created_at as Date,
    });
    if (this.known.size > 10_000) this.known.clear();
    this.known.set(user.subject, user);
    return user;
  }

  async byIds(ids: readonly string[]): Promise<User[]> {
    return this.dataSource.getRepository(User).createQueryBuilder('u').where('u.id = ANY(:ids)', { ids }).getMany();
  }
}
