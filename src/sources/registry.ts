import type { Database } from '../db/connection.ts';
import { idText } from '../db/ids.ts';
import { type SourceContext, type SourceDefinition, SourceError, type SyncContext, type SyncResult } from './contract.ts';
import { gitSource } from './git/source.ts';
import { gitlabSource } from './gitlab/source.ts';

/** Every kind of source there is; `tributary sources add KIND …` picks one by name. */
// biome-ignore lint/suspicious/noExplicitAny: each definition is typed where it is written.
export const SOURCE_KINDS: Record<string, SourceDefinition<any>> = {
  git: gitSource,
  gitlab: gitlabSource,
};

export interface SourceRow {
  id: bigint;
  kind: string;
  name: string;
  config: Record<string, unknown>;
  cursor: Record<string, unknown> | null;
  last_started_at: Date | null;
  last_finished_at: Date | null;
  last_error: string | null;
  last_stats: Record<string, unknown> | null;
}

function definitionOf(kind: string) {
  const definition = SOURCE_KINDS[kind];
  if (!definition) throw new SourceError(`unknown source kind ${JSON.stringify(kind)}; known: ${Object.keys(SOURCE_KINDS).join(', ')}`);
  return definition;
}

export async function addSource(
  db: Database,
  kind: string,
  config: Record<string, unknown>,
  context: SourceContext,
  name?: string,
): Promise<SourceRow> {
  const definition = definitionOf(kind);
  const parsed = definition.config.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SourceError(`${issue?.path.join('.') || 'config'}: ${issue?.message ?? 'invalid'}`);
  }
  const completed = (await definition.check?.(parsed.data, context)) ?? parsed.data;
  const sourceName = name ?? definition.defaultName(completed);
  const [existing] = await db.query<{ kind: string }>('SELECT kind FROM sources WHERE name = $1', [sourceName]);
  if (existing) throw new SourceError(`a source named ${JSON.stringify(sourceName)} already exists (${existing.kind}); choose another with --name`);
  const [row] = await db.query<SourceRow>(
    `INSERT INTO sources (id, kind, name, config) VALUES ($1::int8, $2::source_kind, $3, $4::jsonb) RETURNING *`,
    [idText('source', sourceName), kind, sourceName, JSON.stringify(completed)],
  );
  return row as SourceRow;
}

export async function listSources(db: Database): Promise<SourceRow[]> {
  return db.query<SourceRow>('SELECT * FROM sources ORDER BY name');
}

export async function removeSource(db: Database, name: string): Promise<void> {
  const removed = await db.query('DELETE FROM sources WHERE name = $1 RETURNING id', [name]);
  if (removed.length === 0) throw new SourceError(`no source named ${JSON.stringify(name)}`);
}

export interface SyncOutcome {
  name: string;
  kind: string;
  ok: boolean;
  error?: string;
  result?: SyncResult;
}

/**
 * Syncs one source or all. Each runs in its own transaction: a failure keeps the previous cursor
 * (the next sync resumes from there) and is recorded on the source.
 */
export async function syncSources(db: Database, name: string | undefined, context: SyncContext): Promise<SyncOutcome[]> {
  const sources = name ? await db.query<SourceRow>('SELECT * FROM sources WHERE name = $1', [name]) : await listSources(db);
  if (name && sources.length === 0) throw new SourceError(`no source named ${JSON.stringify(name)} (see: tributary sources list)`);
  const outcomes: SyncOutcome[] = [];
  for (const source of sources) {
    const definition = definitionOf(source.kind);
    await db.query('UPDATE sources SET last_started_at = now() WHERE id = $1::int8', [String(source.id)]);
    try {
      const config = definition.config.parse(source.config);
      const result = await definition.sync(db, { ...source, config }, context);
      await db.query(
        `UPDATE sources SET cursor = $2::jsonb, last_finished_at = now(), last_error = NULL, last_stats = $3::jsonb WHERE id = $1::int8`,
        [String(source.id), JSON.stringify(result.cursor), JSON.stringify(result.stats)],
      );
      outcomes.push({ name: source.name, kind: source.kind, ok: true, result });
    } catch (error) {
      const message = (error as Error).message;
      await db.query('UPDATE sources SET last_error = $2 WHERE id = $1::int8', [String(source.id), message]);
      if (!(error instanceof SourceError)) throw error;
      outcomes.push({ name: source.name, kind: source.kind, ok: false, error: message });
    }
  }
  return outcomes;
}
