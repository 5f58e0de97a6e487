import { sql } from 'drizzle-orm';
import { bigint, index, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const id = () => bigint('id', { mode: 'bigint' }).primaryKey();
const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const sourceKind = pgEnum('source_kind', ['git', 'gitlab', 'github', 'import']);

/** A configured origin of data (a repository, a GitLab group, …) and where its sync stands. */
export const sources = pgTable('sources', {
  id: id(),
  kind: sourceKind('kind').notNull(),
  name: text('name').notNull().unique(),
  config: jsonb('config').$type<Record<string, unknown>>().notNull(),
  // Whatever the source needs to resume: a commit sha, an `updated_after` timestamp and page, …
  cursor: jsonb('cursor').$type<Record<string, unknown>>(),
  lastStartedAt: at('last_started_at'),
  lastFinishedAt: at('last_finished_at'),
  lastError: text('last_error'),
  lastStats: jsonb('last_stats').$type<Record<string, unknown>>(),
  createdAt: at('created_at').notNull().defaultNow(),
});

/** Payloads exactly as the origin sent them, beside the normalised rows derived from them. */
export const rawRecords = pgTable(
  'raw_records',
  {
    id: id(),
    source: text('source').notNull(),
    endpoint: text('endpoint').notNull(),
    externalId: text('external_id').notNull(),
    payload: jsonb('payload').notNull(),
    fetchedAt: at('fetched_at').notNull(),
  },
  (t) => [uniqueIndex('raw_records_natural').on(t.source, t.endpoint, t.externalId)],
);

/**
 * Webhook deliveries, each once: keyed by GitLab's Idempotency-Key (the same across retries of one
 * delivery), else X-Gitlab-Event-UUID. The body is kept as text, so a malformed one is kept for
 * inspection too. `status`: pending (stored, not yet applied), applied, ignored (an event Tributary
 * does not use), rejected (malformed: answered 400), failed (applying raised `error`).
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: id(),
    deliveryKey: text('delivery_key').notNull(),
    event: text('event'),
    body: text('body').notNull(),
    status: text('status').notNull(),
    error: text('error'),
    receivedAt: at('received_at').notNull(),
    appliedAt: at('applied_at'),
  },
  (t) => [uniqueIndex('webhook_deliveries_key').on(t.deliveryKey), index('webhook_deliveries_pending').on(t.status).where(sql`status = 'pending'`)],
);

/**
 * "Sync now", asked for through the API: one pending request per source at most (asking again while one
 * waits returns it). The background worker takes the oldest pending request, runs the sync and stamps it.
 */
export const syncRequests = pgTable(
  'sync_requests',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    sourceId: bigint('source_id', { mode: 'bigint' })
      .notNull()
      .references(() => sources.id, { onDelete: 'cascade' }),
    // Who asked: a user's e-mail, or `token:<prefix>` for an API token.
    requestedBy: text('requested_by').notNull(),
    requestedAt: at('requested_at').notNull().defaultNow(),
    startedAt: at('started_at'),
    finishedAt: at('finished_at'),
    error: text('error'),
  },
  (t) => [uniqueIndex('sync_requests_pending').on(t.sourceId).where(sql`started_at IS NULL`)],
);
