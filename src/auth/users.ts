import { z } from 'zod';
import type { Database, Session } from '../db/connection.ts';
import { hashPassword, MIN_PASSWORD_LENGTH } from './passwords.ts';
import { ROLES, type Role } from './roles.ts';

/** A request about users or tokens that cannot be met as asked; `field` names the input at fault. */
export class AuthError extends Error {
  override name = 'AuthError';
  readonly code: 'invalid' | 'conflict' | 'not_found';
  readonly field: string | undefined;
  constructor(code: AuthError['code'], message: string, field?: string) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

export interface User {
  id: bigint;
  email: string;
  name: string;
  role: Role;
  createdAt: Date;
  disabledAt: Date | null;
}

const USER_COLUMNS = `id, email, name, role, created_at AS "createdAt", disabled_at AS "disabledAt"`;

export const newUserSchema = z.strictObject({
  email: z.email().max(320),
  name: z.string().trim().min(1).max(200),
  role: z.enum(ROLES),
  password: z.string().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`).max(1024).optional(),
});
export type NewUser = z.input<typeof newUserSchema>;

export async function createUser(session: Session, input: NewUser, oidc?: { issuer: string; subject: string }): Promise<User> {
  const parsed = newUserSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || undefined;
    throw new AuthError('invalid', `${field ?? 'user'}: ${issue?.message}`, field);
  }
  const user = parsed.data;
  const passwordHash = user.password === undefined ? null : await hashPassword(user.password);
  const rows = await session.query<User>(
    `INSERT INTO users (email, name, role, password_hash, oidc_issuer, oidc_subject) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT DO NOTHING RETURNING ${USER_COLUMNS}`,
    [user.email, user.name, user.role, passwordHash, oidc?.issuer ?? null, oidc?.subject ?? null],
  );
  if (!rows[0]) throw new AuthError('conflict', `email: a user with the e-mail ${user.email} already exists`, 'email');
  return rows[0];
}

export async function listUsers(session: Session): Promise<User[]> {
  return session.query<User>(`SELECT ${USER_COLUMNS} FROM users ORDER BY id`);
}

export async function findUserByEmail(session: Session, email: string): Promise<(User & { passwordHash: string | null }) | undefined> {
  const [row] = await session.query<User & { passwordHash: string | null }>(
    `SELECT ${USER_COLUMNS}, password_hash AS "passwordHash" FROM users WHERE lower(email) = lower($1)`,
    [email],
  );
  return row;
}

export async function findUserById(session: Session, id: bigint): Promise<User | undefined> {
  const [row] = await session.query<User>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id.toString()]);
  return row;
}

/** The user an OIDC provider vouches for: by issuer and subject, else by e-mail (linking the account on first use). */
export async function findUserForOidc(session: Session, issuer: string, subject: string, email: string | undefined): Promise<User | undefined> {
  const [bySubject] = await session.query<User>(`SELECT ${USER_COLUMNS} FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2`, [issuer, subject]);
  if (bySubject) return bySubject;
  if (!email) return undefined;
  const [linked] = await session.query<User>(
    `UPDATE users SET oidc_issuer = $1, oidc_subject = $2 WHERE lower(email) = lower($3) AND oidc_subject IS NULL RETURNING ${USER_COLUMNS}`,
    [issuer, subject, email],
  );
  return linked;
}

export interface UserChange {
  name?: string | undefined;
  role?: Role | undefined;
  /** true disables the account (and ends its sessions and tokens); false enables it again. */
  disabled?: boolean | undefined;
}

/**
 * Changes a user's name, role or whether they may sign in, in one transaction. `actorId` is the admin
 * asking: they may not disable or demote themselves, and no change may leave no enabled admin (both
 * would lock the administration out). Disabling ends the account's sessions and API tokens at once; enabling
 * it again gives none back.
 */
export async function updateUser(db: Database, id: bigint, change: UserChange, actorId?: bigint): Promise<User> {
  const name = change.name?.trim();
  if (change.name !== undefined && !name) throw new AuthError('invalid', 'name: must not be empty', 'name');
  if (change.role !== undefined && !(ROLES as readonly string[]).includes(change.role)) throw new AuthError('invalid', `role: one of ${ROLES.join(', ')}`, 'role');
  return db.transaction(async (tx) => {
    // Serialises changes to admins: two admins demoting each other at once must not leave none.
    await tx.query('LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE');
    const [current] = await tx.query<User>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id.toString()]);
    if (!current) throw new AuthError('not_found', `no user with id ${id}`, 'id');
    const self = actorId !== undefined && actorId === current.id;
    if (self && change.disabled === true) throw new AuthError('conflict', 'disabled: you cannot disable your own account', 'disabled');
    if (self && change.role !== undefined && change.role !== 'admin' && current.role === 'admin') {
      throw new AuthError('conflict', 'role: you cannot take the admin role from yourself; ask another admin', 'role');
    }
    const losesAdmin = current.role === 'admin' && !current.disabledAt && ((change.role !== undefined && change.role !== 'admin') || change.disabled === true);
    if (losesAdmin) {
      const [others] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1`, [id.toString()]);
      if ((others?.n ?? 0) === 0) throw new AuthError('conflict', `${change.disabled ? 'disabled' : 'role'}: this is the last enabled admin`, change.disabled ? 'disabled' : 'role');
    }
    const [updated] = await tx.query<User>(
      `UPDATE users SET name = coalesce($2, name), role = coalesce($3, role),
              disabled_at = CASE WHEN $4::boolean IS NULL THEN disabled_at WHEN $4 THEN coalesce(disabled_at, now()) ELSE NULL END
        WHERE id = $1 RETURNING ${USER_COLUMNS}`,
      [id.toString(), name ?? null, change.role ?? null, change.disabled ?? null],
    );
    if (change.disabled === true && !current.disabledAt) {
      await tx.query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [id.toString()]);
      await tx.query('UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [id.toString()]);
    }
    return updated as User;
  });
}
