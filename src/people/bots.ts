import type { Session } from '../db/connection.ts';
import { findPerson, identityKeyForm, inTransaction, membersOf, type PersonRef, rootsOf, sqlLiteral, sqlTextArray } from './common.ts';

/**
 * Bots count as neither team nor community. A person is a bot when
 *   1. someone said so (people.bot_override: true or false wins over everything), else
 *   2. its data says so (people.is_bot: the NDJSON `bot` field, a GitLab profile's `bot: true`), else
 *   3. one of its identities matches a rule below (people.bot_detected holds the rule's name).
 * For a canonical person, an override on the root wins, then any override in its group, then any
 * declared or detected member.
 */

/** Well-known automation accounts (usernames, and e-mail local parts). */
export const KNOWN_BOTS = [
  'renovate', 'renovate-bot', 'renovatebot', 'whitesource-renovate', 'dependabot', 'dependabot-preview', 'greenkeeper',
  'snyk-bot', 'mergify', 'codecov', 'github-actions', 'web-flow', 'imgbot', 'allcontributors', 'pre-commit-ci',
  'semantic-release-bot', 'release-bot', 'release-tools-bot', 'gitlab-release-tools-bot', 'gitlab-bot', 'gitlab-qa',
  'gitlab-crowdin-bot', 'gitlab-dependency-update-bot', 'k8s-ci-robot', 'copybara-service', 'gitlab-renovate-bot',
] as const;

export interface BotRules {
  /** More POSIX regular expressions, matched against an identity's normalised value. */
  patterns?: readonly string[];
  /** More usernames or e-mail local parts of known bots. */
  names?: readonly string[];
}

/**
 * A SQL expression giving the name of the first bot rule that an identity matches, or null. `i` is an
 * identities row (platform, kind, value_normalised, display_name).
 */
export function botRuleSql(alias = 'i', rules: BotRules = {}): string {
  const v = `${alias}.value_normalised`;
  const local = `split_part(${v}, '@', 1)`;
  const domain = `split_part(${v}, '@', 2)`;
  const known = sqlTextArray([...KNOWN_BOTS, ...(rules.names ?? []).map((n) => n.toLowerCase())]);
  const configured = (rules.patterns ?? []).map((p) => `${v} ~ ${sqlLiteral(p)}`);
  return `CASE
    WHEN ${alias}.kind IN ('username', 'email') AND ${v} LIKE '%[bot]%' THEN 'app_bot'
    WHEN (${alias}.kind = 'username' AND ${v} = ANY(${known}))
      OR (${alias}.kind = 'email' AND regexp_replace(${local}, '^[0-9]+\\+', '') = ANY(${known})) THEN 'known_bot'
    WHEN ${alias}.kind = 'username' AND ${v} ~ '^(project|group)_[0-9]+_bot' THEN 'access_token_bot'
    WHEN (${alias}.kind = 'username' AND ${v} ~ '([-_.]bot|^bot[-_.].*)$')
      OR (${alias}.kind = 'email' AND ${local} ~ '([-_.+]bot|^bot)$') THEN 'bot_suffix'
    WHEN ${alias}.kind = 'email' AND ${domain} !~ '^users\\.noreply\\.'
      AND (${local} ~ '^(no-?reply|do-?not-?reply|donotreply|notifications?|mailer-daemon|postmaster)$' OR ${domain} ~ '^(noreply|no-reply)\\.') THEN 'noreply_service'
    WHEN ${alias}.display_name ~* '(\\[bot\\]|\\mbot)$' THEN 'bot_name'
    ${configured.length > 0 ? `WHEN ${configured.join(' OR ')} THEN 'configured'` : ''}
  END`;
}

/**
 * Sets people.bot_detected from identities. `identityScope` limits the identities looked at (a SQL
 * condition on `i`, e.g. the batch being resolved); without it every person is detected afresh.
 * Returns how many people changed.
 */
export async function detectBots(session: Session, options: { identityScope?: string; rules?: BotRules } = {}): Promise<number> {
  const scope = options.identityScope ?? 'true';
  if (!options.identityScope) {
    await session.query(
      `UPDATE people p SET bot_detected = NULL WHERE bot_detected IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.person_id = p.id AND (${botRuleSql('i', options.rules)}) IS NOT NULL)`,
    );
  }
  const rows = await session.query<{ n: bigint }>(
    `WITH found AS (
       SELECT person_id, min(rule) AS rule FROM (
         SELECT i.person_id, ${botRuleSql('i', options.rules)} AS rule FROM identities i WHERE ${scope}
       ) x WHERE rule IS NOT NULL GROUP BY person_id
     ), changed AS (
       UPDATE people p SET bot_detected = found.rule FROM found
        WHERE p.id = found.person_id AND p.bot_detected IS DISTINCT FROM found.rule RETURNING 1
     ) SELECT count(*) AS n FROM changed`,
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * The bot flag of each canonical person, as SQL: rows (canonical_id, bot boolean) for the canonical
 * ids that `canonicalIds` (a SQL relation with a canonical_id column) yields. Explicit `botKeys`
 * (person keys or `platform:kind:value` identities) count as declared.
 */
export function canonicalBotSql(groups: string, botKeys: readonly string[] = []): string {
  const listed = botKeys.length > 0;
  const keys = sqlTextArray(botKeys.map((k) => k.trim()));
  const identities = sqlTextArray(botKeys.map(identityKeyForm));
  return `SELECT g.canonical_id,
      coalesce(
        bool_or(p.bot_override) FILTER (WHERE p.id = g.canonical_id),
        bool_or(p.bot_override),
        bool_or(p.is_bot OR p.bot_detected IS NOT NULL${listed ? ` OR p.key = ANY(${keys}) OR EXISTS (SELECT 1 FROM identities li WHERE li.person_id = p.id AND li.platform::text || ':' || li.kind::text || ':' || li.value_normalised = ANY(${identities}))` : ''}),
        false) AS bot
    FROM ${groups} g JOIN people p ON p.id = g.person_id
    GROUP BY g.canonical_id`;
}

export interface BotStatus {
  bot: boolean;
  /** Why: a person's decision, the data, a detection rule, or nothing. */
  source: 'override' | 'declared' | 'detected' | 'none';
  rule: string | null;
}

/** Whether `person` (taken at its canonical person) is a bot, and why. */
export async function botStatus(session: Session, person: PersonRef): Promise<BotStatus> {
  const found = await findPerson(session, person);
  const root = (await rootsOf(session, [found.id])).get(found.id) as bigint;
  const members = await membersOf(session, root);
  const rows = await session.query<{ id: bigint; is_bot: boolean; bot_detected: string | null; bot_override: boolean | null }>(
    'SELECT id, is_bot, bot_detected, bot_override FROM people WHERE id = ANY($1::int8[])',
    [members.map(String)],
  );
  const rootRow = rows.find((r) => r.id === root);
  const override = rootRow?.bot_override ?? rows.find((r) => r.bot_override !== null)?.bot_override ?? null;
  if (override !== null) return { bot: override, source: 'override', rule: null };
  if (rows.some((r) => r.is_bot)) return { bot: true, source: 'declared', rule: null };
  const detected = rows.find((r) => r.bot_detected !== null);
  if (detected) return { bot: true, source: 'detected', rule: detected.bot_detected };
  return { bot: false, source: 'none', rule: null };
}

/**
 * Overrides detection for `person`'s canonical person: true (a bot), false (a human, whatever the
 * rules say) or null (let the rules decide again).
 */
export async function setBotOverride(db: Session, person: PersonRef, value: boolean | null): Promise<BotStatus> {
  return inTransaction(db, async (tx) => {
    const found = await findPerson(tx, person);
    const root = (await rootsOf(tx, [found.id])).get(found.id) as bigint;
    if (value === null) {
      await tx.query('UPDATE people SET bot_override = NULL WHERE id = ANY($1::int8[])', [(await membersOf(tx, root)).map(String)]);
    } else {
      await tx.query('UPDATE people SET bot_override = $2 WHERE id = $1', [root.toString(), value]);
    }
    return botStatus(tx, root);
  });
}
