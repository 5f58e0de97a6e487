import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Session } from '../db/connection.ts';
import { SCOPES, type Scope } from './roles.ts';
import { AuthError, type User } from './users.ts';

/**
 * Sessions (browser cookies) and API tokens (Bearer). Both are 256-bit random secrets handed out once;
 * the database keeps only their SHA-256, so reading the tables gives no way in.
 */

export const SESSION_LIFETIME_MS = 7 * 24 * 3600 * 1000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

function sameText(a: string, b: string): boolean {
  const [left, right] = [Buffer.from(a), Buffer.from(b)];
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface AuthenticatedSession {
  sessionId: bigint;
  user: User;
  expiresAt: Date;
}

export async function createSession(session: Session, userId: bigint): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + SESSION_LIFETIME_MS);
  await session.query('INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, $3)', [userId.toString(), sha256(token), expiresAt]);
  return { token, expiresAt };
}

export async function findSession(session: Session, token: string): Promise<AuthenticatedSession | undefined> {
  const [row] = await session.query<
    AuthenticatedSession & { role: User['role']; email: string; name: string; userId: bigint; createdAt: Date; disabledAt: Date | null; lastSeenAt: Date | null }
  >(
    `SELECT s.id AS "sessionId", s.expires_at AS "expiresAt", s.last_seen_at AS "lastSeenAt", u.id AS "userId", u.email, u.name, u.role, u.created_at AS "createdAt", u.disabled_at AS "disabledAt"
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.disabled_at IS NULL`,
    [sha256(token)],
  );
  if (!row) return undefined;
  // Once a minute at most, like API tokens: enough to tell an idle session from a live one.
  if (!row.lastSeenAt || Date.now() - row.lastSeenAt.getTime() > 60_000) {
    await session.query('UPDATE sessions SET last_seen_at = now() WHERE id = $1', [row.sessionId.toString()]);
  }
  return {
    sessionId: row.sessionId,
    expiresAt: row.expiresAt,
    user: { id: row.userId, email: row.email, name: row.name, role: row.role, createdAt: row.createdAt, disabledAt: row.disabledAt },
  };
}

export async function revokeSession(session: Session, sessionId: bigint): Promise<void> {
  await session.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [sessionId.toString()]);
}

/**
 * The CSRF token of a session: an HMAC of the session's secret, so it needs no storage, differs per
 * session, and cannot be made without the cookie a cross-site page cannot read.
 */
export function csrfTokenOf(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('tributary csrf').digest('base64url');
}

export function csrfTokenMatches(sessionToken: string, given: string): boolean {
  return sameText(csrfTokenOf(sessionToken), given);
}

// ——— API tokens ———

export interface ApiToken {
  id: bigint;
  userId: bigint;
  name: string;
  prefix: string;
  scopes: Scope[];
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const TOKEN_COLUMNS = `id, user_id AS "userId", name, prefix, scopes, created_at AS "createdAt", expires_at AS "expiresAt",
  last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`;

const TOKEN_FORMAT = /^trb_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export async function createApiToken(
  session: Session,
  input: { userId: bigint; name: string; scopes: readonly string[]; expiresAt?: Date | undefined },
): Promise<{ token: string; record: ApiToken }> {
  if (!input.name.trim()) throw new AuthError('invalid', 'name: must not be empty', 'name');
  if (input.scopes.length === 0) throw new AuthError('invalid', `scopes: at least one of ${SCOPES.join(', ')}`, 'scopes');
  const unknown = input.scopes.filter((scope) => !(SCOPES as readonly string[]).includes(scope));
  if (unknown.length > 0) throw new AuthError('invalid', `scopes: unknown scope ${unknown.join(', ')}; known: ${SCOPES.join(', ')}`, 'scopes');
  const prefix = randomBytes(9).toString('base64').replace(/[^A-Za-z0-9]/g, '').padEnd(12, '0').slice(0, 12);
  const secret = randomBytes(32).toString('base64url');
  const [record] = await session.query<ApiToken>(
    `INSERT INTO api_tokens (user_id, name, prefix, secret_hash, scopes, expires_at) VALUES ($1, $2, $3, $4, $5::text[], $6) RETURNING ${TOKEN_COLUMNS}`,
    [input.userId.toString(), input.name.trim(), prefix, sha256(secret), [...new Set(input.scopes)], input.expiresAt ?? null],
  );
  return { token: `trb_${prefix}_${secret}`, record: record as ApiToken };
}

export async function findApiToken(session: Session, token: string): Promise<{ token: ApiToken; user: User } | undefined> {
  const match = TOKEN_FORMAT.exec(token);
  if (!match) return undefined;
  const [row] = await session.query<ApiToken & { secretHash: string; email: string; userName: string; role: User['role']; userCreatedAt: Date }>(
    `SELECT t.id, t.user_id AS "userId", t.name, t.prefix, t.scopes, t.created_at AS "createdAt", t.expires_at AS "expiresAt",
            t.last_used_at AS "lastUsedAt", t.revoked_at AS "revokedAt", t.secret_hash AS "secretHash",
            u.email, u.name AS "userName", u.role, u.created_at AS "userCreatedAt"
       FROM api_tokens t JOIN users u ON u.id = t.user_id
      WHERE t.prefix = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now()) AND u.disabled_at IS NULL`,
    [match[1]],
  );
  if (!row || !sameText(row.secretHash, sha256(match[2] as string))) return undefined;
  // Once a minute at most: a busy token would otherwise write on every request.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await session.query('UPDATE api_tokens SET last_used_at = now() WHERE id = $1', [row.id.toString()]);
  }
  const { secretHash: _secret, email, userName, role, userCreatedAt, ...record } = row;
  return { token: record, user: { id: row.userId, email, name: userName, role, createdAt: userCreatedAt, disabledAt: null } };
}

export async function listApiTokens(session: Session, userId?: bigint): Promise<ApiToken[]> {
  return session.query<ApiToken>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE $1::int8 IS NULL OR user_id = $1::int8 ORDER BY id`, [userId?.toString() ?? null]);
}

/** Revokes a token by id or prefix (only among `userId`'s tokens when given); an already revoked one is not found. */
export async function revokeApiToken(session: Session, idOrPrefix: string, userId?: bigint): Promise<ApiToken> {
  const byId = /^\d{1,19}$/.test(idOrPrefix);
  const [row] = await session.query<ApiToken>(
    `UPDATE api_tokens SET revoked_at = now()
      WHERE ${byId ? 'id = $1::int8' : 'prefix = $1'} AND revoked_at IS NULL AND ($2::int8 IS NULL OR user_id = $2::int8) RETURNING ${TOKEN_COLUMNS}`,
    [idOrPrefix, userId?.toString() ?? null],
  );
  if (!row) throw new AuthError('not_found', `no active API token ${JSON.stringify(idOrPrefix)}`, 'id');
  return row;
}
