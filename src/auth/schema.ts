import { sql } from 'drizzle-orm';
import { bigint, check, index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

// Users, their sessions and API tokens. Secrets are never stored: a password as a scrypt hash with its
// own salt, a session or token as the SHA-256 of a 256-bit random value (which needs no salt or slow
// hash: it cannot be guessed, only stolen, and the hash makes a stolen table useless).
const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const ref = (name: string) => bigint(name, { mode: 'bigint' });

export const users = pgTable(
  'users',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    // 'admin' | 'manager' | 'coach' | 'viewer' (src/auth/roles.ts)
    role: text('role').notNull(),
    // Null for people who only sign in through OIDC.
    passwordHash: text('password_hash'),
    oidcIssuer: text('oidc_issuer'),
    oidcSubject: text('oidc_subject'),
    createdAt: at('created_at').notNull().defaultNow(),
    disabledAt: at('disabled_at'),
  },
  (t) => [
    // E-mails are compared case-insensitively: Alice@Example.com and alice@example.com are one account.
    uniqueIndex('users_email').on(sql`lower(${t.email})`),
    uniqueIndex('users_oidc').on(t.oidcIssuer, t.oidcSubject),
    check('users_role', sql`${t.role} IN ('admin', 'manager', 'coach', 'viewer')`),
  ],
);

export const sessions = pgTable(
  'sessions',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    userId: ref('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    expiresAt: at('expires_at').notNull(),
    revokedAt: at('revoked_at'),
    lastSeenAt: at('last_seen_at'),
  },
  (t) => [uniqueIndex('sessions_token_hash').on(t.tokenHash), index('sessions_user').on(t.userId)],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    userId: ref('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    // The public part of the token (`trb_<prefix>_<secret>`): finds the row without scanning hashes.
    prefix: text('prefix').notNull(),
    secretHash: text('secret_hash').notNull(),
    // 'read' | 'write' | 'admin' (src/auth/roles.ts)
    scopes: text('scopes').array().notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    expiresAt: at('expires_at'),
    lastUsedAt: at('last_used_at'),
    revokedAt: at('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_prefix').on(t.prefix), index('api_tokens_user').on(t.userId)],
);
