import { createHash } from 'node:crypto';
import { type Db, type JobWithMetadata, PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { Database } from '../db/connection.ts';
import { refreshRollups } from '../metrics/rollups.ts';
import type { SourceContext } from '../sources/contract.ts';
import { applyDelivery, classifyDelivery } from '../sources/gitlab/webhooks.ts';
import { syncSources } from '../sources/registry.ts';

/**
 * The background worker, on pg-boss: scheduled and requested syncs, the KPI rollups' refresh, and
 * webhook deliveries left pending. pg-boss keeps its queues in the schema `pgboss` of our own database:
 * on PostgreSQL through a pool of its own (so several workers can share the work), on PGlite through the
 * app's one connection.
 */

export const JOBS = { sync: 'sync-source', refresh: 'refresh-rollups', webhooks: 'webhook' } as const;
export type EnqueueableJob = typeof JOBS.refresh;
/** What the app calls after a change the rollups must follow (a people merge or unmerge). */
export type Enqueue = (job: EnqueueableJob) => Promise<void>;

export interface WorkerOptions {
  db: Database;
  /** PostgreSQL: pg-boss connects with this. Without it the database must be PGlite. */
  databaseUrl?: string | undefined;
  logger: Logger;
  /** Where sources keep clones (as for `tributary sync`). */
  sourceContext: Omit<SourceContext, 'warn'>;
  /** Cron for each source's scheduled sync (UTC). Default: every 15 minutes. */
  syncCron?: string;
  /** How often to look for "sync now" requests and new or removed sources, and pg-boss's polling. Default 2 s (5 s on PGlite). */
  pollSeconds?: number;
  /** Attempts after a failed sync, with exponential backoff from `retryDelaySeconds`. Default 3 and 30 s. */
  retryLimit?: number;
  retryDelaySeconds?: number;
  /** A webhook delivery still pending this long was not applied by its listener; the worker applies it. Default 60 s. */
  webhookGraceSeconds?: number;
}

export interface RunningWorker {
  enqueue: Enqueue;
  /** Stops taking jobs, lets the running ones finish (up to `graceMs`), and closes pg-boss (not the database). */
  stop(graceMs?: number): Promise<void>;
  readonly boss: PgBoss;
}

interface SyncJob {
  source: string;
  requestId?: string;
}

export class WorkerError extends Error {}

/** pg-boss's IDatabase on our PGlite connection: parameterised statements as queries, scripts through execScript. */
function pgliteAdapter(db: Database): Db {
  const execScript = db.execScript?.bind(db);
  if (!execScript) throw new WorkerError('the database cannot run pg-boss: no execScript (use PGlite or give databaseUrl)');
  return {
    async executeSql(text: string, values?: unknown[]) {
      return { rows: values?.length ? await db.query(text, values) : await execScript(text) };
    },
  };
}

/** A job id per "sync now" request, so that finding the same waiting request twice sends it once. */
function requestJobId(requestId: string): string {
  const hex = createHash('sha256').update(`tributary sync request ${requestId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;

function checkOptions(options: WorkerOptions) {
  const whole = (field: string, value: number | undefined, min: number) => {
    if (value !== undefined && (!Number.isFinite(value) || value < min)) throw new WorkerError(`${field}: expected a number ≥ ${min}, got ${value}`);
  };
  whole('pollSeconds', options.pollSeconds, 0.5);
  whole('retryLimit', options.retryLimit, 0);
  whole('retryDelaySeconds', options.retryDelaySeconds, 1);
  whole('webhookGraceSeconds', options.webhookGraceSeconds, 0);
  if (options.syncCron !== undefined) {
    const fields = options.syncCron.trim().split(/\s+/);
    if (fields.length !== 5 || !fields.every((f) => CRON_FIELD.test(f))) {
      throw new WorkerError(`syncCron: expected a cron expression of five fields, e.g. "*/15 * * * *", got ${JSON.stringify(options.syncCron)}`);
    }
  }
}

const SCHEDULE_KEY_PREFIX = 'source-';
const scheduleKey = (sourceId: bigint) => `${SCHEDULE_KEY_PREFIX}${sourceId}`;

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  checkOptions(options);
  const { db, logger } = options;
  const log = logger.child({ component: 'worker' });
  const pglite = db.engine === 'pglite';
  if (!pglite && !options.databaseUrl) throw new WorkerError('databaseUrl: required on PostgreSQL (pg-boss connects with it)');
  const pollSeconds = options.pollSeconds ?? (pglite ? 5 : 2);
  const syncCron = options.syncCron ?? '*/15 * * * *';
  const graceSeconds = options.webhookGraceSeconds ?? 60;

  const boss = new PgBoss({
    ...(pglite ? { db: pgliteAdapter(db), backend: 'pglite' as const } : { connectionString: options.databaseUrl as string, max: 4 }),
    schema: 'pgboss',
    application_name: 'tributary-worker',
    // PGlite is one connection in this thread: maintenance and monitoring every few minutes, not every few seconds.
    ...(pglite ? { superviseIntervalSeconds: 300, monitorIntervalSeconds: 300, queueCacheIntervalSeconds: 60, registerInstance: false } : {}),
  });
  boss.on('error', (error) => log.error({ err: error }, 'pg-boss error'));
  boss.on('warning', (warning) => log.warn({ warning }, 'pg-boss warning'));
  await boss.start();

  const retryLimit = options.retryLimit ?? 3;
  await boss.createQueue(JOBS.sync, { retryLimit, retryDelay: options.retryDelaySeconds ?? 30, retryBackoff: true, expireInSeconds: 6 * 3600 });
  // One refresh running and one waiting at most: a change made while a refresh runs needs one more
  // after it, and any number of changes then are covered by that one.
  await boss.createQueue(JOBS.refresh, { policy: 'stately', retryLimit: 2, retryDelay: 10, expireInSeconds: 3600 });
  await boss.createQueue(JOBS.webhooks, { policy: 'stately', retryLimit: 0, expireInSeconds: 3600 });

  const enqueue: Enqueue = async (job) => {
    await boss.send(job, {}, { singletonKey: 'rollups' });
  };

  const workOptions = { pollingIntervalSeconds: pollSeconds, includeMetadata: true as const };

  await boss.work<SyncJob>(JOBS.sync, { ...workOptions, localConcurrency: 1 }, async ([job]) => {
    if (job) await runSync(job as JobWithMetadata<SyncJob>);
  });
  await boss.work(JOBS.refresh, { ...workOptions, localConcurrency: 1 }, async () => {
    const result = await refreshRollups(db);
    log.info({ mode: result.mode }, 'rollups refreshed');
  });
  await boss.work(JOBS.webhooks, { ...workOptions, localConcurrency: 1 }, async () => {
    const applied = await applyStaleDeliveries(db, graceSeconds);
    if (applied.applied + applied.failed > 0) log.info(applied, 'pending webhook deliveries applied');
    if (applied.applied > 0) await enqueue(JOBS.refresh);
  });
  await boss.schedule(JOBS.webhooks, '* * * * *', {}, { key: 'stale', singletonKey: 'stale' });

  async function runSync(job: JobWithMetadata<SyncJob>) {
    const { source, requestId } = job.data;
    if (requestId) await db.query('UPDATE sync_requests SET started_at = coalesce(started_at, now()) WHERE id = $1::int8', [requestId]);
    let error: string | undefined;
    try {
      const [outcome] = await syncSources(db, source, { ...options.sourceContext, warn: (message) => log.warn({ source }, message) });
      if (outcome && !outcome.ok) error = outcome.error;
    } catch (thrown) {
      error = (thrown as Error).message;
    }
    const last = job.retryCount >= job.retryLimit;
    if (requestId) {
      // The request shows the latest attempt's error; it is finished once it succeeded or no retry is left.
      await db.query(`UPDATE sync_requests SET error = $2, finished_at = CASE WHEN $3::boolean THEN now() END WHERE id = $1::int8`, [
        requestId,
        error ?? null,
        error === undefined || last,
      ]);
    }
    if (error !== undefined) {
      log.warn({ source, attempt: job.retryCount + 1, willRetry: !last, error }, 'sync failed');
      throw new WorkerError(`${source}: ${error}`);
    }
    log.info({ source }, 'synced');
    await enqueue(JOBS.refresh);
  }

  /** Sends a job for each waiting "sync now" request; keeps one schedule per source. */
  let lastSchedules = 0;
  async function poll() {
    const waiting = await db.query<{ id: bigint; name: string }>(
      'SELECT r.id, s.name FROM sync_requests r JOIN sources s ON s.id = r.source_id WHERE r.started_at IS NULL ORDER BY r.requested_at',
    );
    for (const request of waiting) {
      await boss.send(JOBS.sync, { source: request.name, requestId: request.id.toString() }, { id: requestJobId(request.id.toString()) });
    }
    if (Date.now() - lastSchedules >= 60_000) {
      lastSchedules = Date.now();
      // Keyed by the source's id: pg-boss takes only letters, digits, _ - . / in a key, and a name may hold more.
      const sources = new Map((await db.query<{ id: bigint; name: string }>('SELECT id, name FROM sources')).map((r) => [scheduleKey(r.id), r.name]));
      const scheduled = (await boss.getSchedules(JOBS.sync)).filter((s) => s.key.startsWith(SCHEDULE_KEY_PREFIX));
      const kept = new Set<string>();
      for (const schedule of scheduled) {
        const name = sources.get(schedule.key);
        if (name !== undefined && schedule.cron === syncCron && (schedule.data as { source?: unknown } | null)?.source === name) kept.add(schedule.key);
        else await boss.unschedule(JOBS.sync, schedule.key);
      }
      for (const [key, name] of sources) {
        if (!kept.has(key)) await boss.schedule(JOBS.sync, syncCron, { source: name }, { key });
      }
    }
  }

  let stopping = false;
  let polling: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    polling = poll()
      .catch((error) => log.error({ err: error }, 'worker poll failed'))
      .finally(() => {
        if (!stopping) timer = setTimeout(tick, pollSeconds * 1000);
      });
  };
  tick();
  await polling;
  log.info({ engine: db.engine, pollSeconds, syncCron }, 'worker started');

  let stopped: Promise<void> | undefined;
  return {
    boss,
    enqueue,
    stop(graceMs = 10_000) {
      stopped ??= (async () => {
        stopping = true;
        clearTimeout(timer);
        await polling;
        await boss.stop({ graceful: true, timeout: graceMs, close: true });
        log.info('worker stopped');
      })();
      return stopped;
    },
  };
}

/** Applies webhook deliveries still pending after `graceSeconds`: their listener stopped before it got to them. */
export async function applyStaleDeliveries(db: Database, graceSeconds: number): Promise<{ applied: number; failed: number }> {
  const stale = await db.query<{ id: bigint }>(
    `SELECT id FROM webhook_deliveries WHERE status = 'pending' AND received_at < now() - make_interval(secs => $1) ORDER BY received_at, id`,
    [graceSeconds],
  );
  const counts = { applied: 0, failed: 0 };
  for (const { id } of stale) {
    try {
      // As the listener applies one (GitlabWebhooks): locked and checked again, so the two never both apply it.
      const done = await db.transaction(async (tx) => {
        const [row] = await tx.query<{ event: string | null; body: string; status: string }>('SELECT event, body, status FROM webhook_deliveries WHERE id = $1::int8 FOR UPDATE', [
          id.toString(),
        ]);
        if (row?.status !== 'pending') return false;
        await applyDelivery(tx, classifyDelivery(row.event, JSON.parse(row.body)));
        await tx.query(`UPDATE webhook_deliveries SET status = 'applied', applied_at = now() WHERE id = $1::int8`, [id.toString()]);
        return true;
      });
      if (done) counts.applied++;
    } catch (error) {
      counts.failed++;
      await db.query(`UPDATE webhook_deliveries SET status = 'failed', error = $2 WHERE id = $1::int8`, [id.toString(), (error as Error).message]);
    }
  }
  return counts;
}
