import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Argument, type Command, InvalidArgumentError, Option } from 'commander';
import pc from 'picocolors';
import { ZodError } from 'zod';
import type { Database } from '../db/connection.ts';
import {
  acceptSuggestions,
  type ClassificationRules,
  classificationRules,
  classify,
  classifyMergedMergeRequests,
  coaches,
  domainCandidates,
  enroll,
  exportEnrollmentsCsv,
  exportOrganisationsCsv,
  exportRosterCsv,
  findPerson,
  InputError,
  importEnrollmentsCsv,
  importGitlabTeam,
  importOrganisationsCsv,
  importRosterCsv,
  listOrganisations,
  listPeople,
  type MergeRecord,
  mergeHistory,
  mergePeople,
  resolveIdentities,
  rosterAt,
  saveOrganisations,
  separatePeople,
  setBotOverride,
  setCapacity,
  setOutOfOffice,
  showPerson,
  suggestMerges,
  syncGroupMembers,
  unmergePeople,
  unseparatePeople,
} from '../people/index.ts';
import { printJson, printTable, UsageError } from './output.ts';

/**
 * `tributary people …`, `tributary orgs …`, `tributary roster …`: thin commands over src/people.
 * Registered from main.ts, which lends its way of opening the database.
 */
export type WithDatabase = <T>(command: Command, work: (db: Database) => Promise<T>) => Promise<T>;

export function registerPeopleCommands(program: Command, withDatabase: WithDatabase): void {
  registerPeople(program, withDatabase);
  registerOrganisations(program, withDatabase);
  registerRoster(program, withDatabase);
}

// ——— shared helpers ———

function parseInstant(value: string): Date {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : new Date(value);
  if (Number.isNaN(date.getTime()) || (/^\d{4}-\d{2}-\d{2}$/.test(value) && date.toISOString().slice(0, 10) !== value)) {
    throw new InvalidArgumentError(`expected a date (YYYY-MM-DD) or an ISO 8601 date-time, got ${JSON.stringify(value)}`);
  }
  return date;
}

function parseDay(value: string): string {
  const date = new Date(`${value}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
    throw new InvalidArgumentError(`expected a date (YYYY-MM-DD), got ${JSON.stringify(value)}`);
  }
  return value;
}

function parseWhole(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number, got ${JSON.stringify(value)}`);
  return n;
}

function parseScore(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`expected a score between 0 and 1, got ${JSON.stringify(value)}`);
  return n;
}

function readText(file: string): string {
  let bytes: Buffer;
  try {
    bytes = file === '-' ? readFileSync(0) : readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`cannot read ${file}: no such file`);
    throw error;
  }
  return (file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** Classification rules from a JSON file (docs/people.md), validated; the defaults without one. */
function loadRules(file: string | undefined): ClassificationRules {
  if (!file) return classificationRules();
  let json: unknown;
  try {
    json = JSON.parse(readText(file));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`rules file ${file} is not JSON: ${(error as Error).message}`);
  }
  try {
    return classificationRules(json as never);
  } catch (error) {
    if (error instanceof ZodError) {
      const issue = error.issues[0];
      throw new UsageError(`rules file ${file}, field ${JSON.stringify(issue?.path.join('.') ?? '')}: ${issue?.message}`);
    }
    throw error;
  }
}

/** Input errors say that nothing was written, like `tributary import`. */
async function allOrNothing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof InputError) throw new Error(`nothing was written: ${error.message}`);
    throw error;
  }
}

function write(text: string, output: string | undefined) {
  if (output) {
    writeFileSync(output, text);
  } else {
    process.stdout.write(text);
  }
}

const rulesOption = () => new Option('--rules <file>', 'classification rules as JSON (see docs/people.md)');

function describeMerge(merge: MergeRecord): string {
  return `merge ${merge.id}: ${merge.fromPersonId} into ${merge.intoPersonId} (${merge.reason}${merge.rule ? `, ${merge.rule}` : ''})`;
}

// ——— people ———

function registerPeople(program: Command, withDatabase: WithDatabase) {
  const people = program.command('people').description('Who is who: people, their identities, merges, bots and classification.');

  people
    .command('list')
    .description('Canonical people (merged ones are shown as one), with how many identities each has.')
    .option('--search <text>', 'only people whose key, name or identity contains this')
    .option('--bots', 'only bots')
    .option('--humans', 'only people who are not bots')
    .option('--limit <n>', 'at most this many', parseWhole, 50)
    .option('--offset <n>', 'skip this many', parseWhole, 0)
    .option('--json', 'print as JSON')
    .action(async (options: { search?: string; bots?: boolean; humans?: boolean; limit: number; offset: number; json?: boolean }, command: Command) => {
      if (options.bots && options.humans) throw new UsageError('--bots and --humans exclude each other');
      await withDatabase(command, async (db) => {
        const rows = await listPeople(db, {
          ...(options.search ? { search: options.search } : {}),
          limit: options.limit,
          offset: options.offset,
          ...(options.bots ? { bots: true } : options.humans ? { bots: false } : {}),
        });
        if (options.json) return printJson(rows);
        printTable(
          rows.map((r) => ({ ...r, bot: r.bot ? 'bot' : '' })),
          ['id', 'key', 'name', 'identities', 'merged', 'bot'],
        );
      });
    });

  people
    .command('show')
    .description('A person and everyone merged with them: identities, merges, organisations, team periods, bot status, class now.')
    .argument('<person>', 'key, id, or identity (gitlab:username:alice, alice@example.com)')
    .addOption(new Option('--at <date>', 'classify and affiliate at this time (default now)').argParser(parseInstant))
    .addOption(rulesOption())
    .option('--json', 'print as JSON')
    .action(async (ref: string, options: { at?: Date; rules?: string; json?: boolean }, command: Command) => {
      const rules = loadRules(options.rules);
      await withDatabase(command, async (db) => {
        const details = await showPerson(db, ref, rules, options.at ?? new Date());
        if (options.json) return printJson(details);
        const out = process.stdout;
        out.write(`${pc.bold(details.name ?? details.key)}  ${pc.dim(`${details.key} (${details.id})`)}\n`);
        if (details.canonical) out.write(`merged into ${details.canonical.key} (${details.canonical.id})\n`);
        out.write(
          `class at ${details.classification.at.toISOString()}: ${details.classification.class}` +
            `${details.bot.bot ? ` (bot: ${details.bot.source}${details.bot.rule ? `, ${details.bot.rule}` : ''})` : ''}\n`,
        );
        out.write(`organisation then: ${details.organisation ? `${details.organisation.organisation} (${details.organisation.source})` : 'none'}\n\n`);
        printTable(details.identities, ['platform', 'kind', 'value', 'person', 'displayName']);
        if (details.affiliations.length > 0) {
          out.write('\n');
          printTable(details.affiliations, ['organisation', 'validFrom', 'validTo', 'source', 'person']);
        }
        if (details.teamMemberships.length > 0) {
          out.write('\n');
          printTable(
            details.teamMemberships.map((t) => ({ ...t, roles: JSON.stringify(t.roles) })),
            ['validFrom', 'validTo', 'title', 'department', 'roles', 'capacity', 'source'],
          );
        }
        if (details.groupMemberships.length > 0) {
          out.write('\n');
          printTable(details.groupMemberships, ['platform', 'group', 'validFrom', 'validTo', 'accessLevel']);
        }
        if (details.merges.length > 0) {
          out.write('\n');
          printTable(
            details.merges.map((m) => ({ ...m, mergedAt: m.mergedAt.toISOString(), undoneAt: m.undoneAt?.toISOString() ?? '' })),
            ['id', 'fromPersonId', 'intoPersonId', 'reason', 'rule', 'actor', 'mergedAt', 'undoneAt'],
          );
        }
      });
    });

  people
    .command('merge')
    .description('Merge one person into another (each taken at its canonical person). Audited; undo with unmerge.')
    .argument('<from>', 'the person to merge')
    .argument('<into>', 'the person it joins')
    .option('--actor <name>', 'who decided', process.env.USER ?? 'cli')
    .option('--note <text>', 'why, kept with the merge')
    .option('--override', 'merge even though they were marked as different people')
    .option('--json', 'print the merge as JSON')
    .action(async (from: string, into: string, options: { actor: string; note?: string; override?: boolean; json?: boolean }, command: Command) => {
      await withDatabase(command, async (db) => {
        const merge = await mergePeople(db, from, into, {
          actor: options.actor,
          ...(options.note ? { evidence: { from, into, note: options.note } } : {}),
          overrideSeparation: Boolean(options.override),
        });
        if (options.json) return printJson(merge);
        process.stdout.write(`${pc.green('✓')} ${describeMerge(merge)}\n`);
      });
    });

  people
    .command('unmerge')
    .description('Undo one merge: the one that merged <person> into someone, or --merge ID. They are then kept apart from automatic merging.')
    .argument('[person]', 'the person that was merged into another')
    .addOption(new Option('--merge <id>', 'the merge to undo (see people show)').argParser((v) => BigInt(parseWhole(v))))
    .option('--allow-remerge', 'do not keep the two apart: resolution may merge them again')
    .option('--actor <name>', 'who decided', process.env.USER ?? 'cli')
    .option('--json', 'print the undone merge as JSON')
    .action(async (person: string | undefined, options: { merge?: bigint; allowRemerge?: boolean; actor: string; json?: boolean }, command: Command) => {
      if ((person === undefined) === (options.merge === undefined)) throw new UsageError('give either a person or --merge ID');
      await withDatabase(command, async (db) => {
        const target = options.merge !== undefined ? { mergeId: options.merge } : { person: person as string };
        const merge = await unmergePeople(db, target, { actor: options.actor, keepApart: !options.allowRemerge });
        if (options.json) return printJson(merge);
        process.stdout.write(`${pc.green('✓')} undid ${describeMerge(merge)}\n`);
      });
    });

  people
    .command('separate')
    .description('Record that two people are different: they are never merged automatically.')
    .argument('<a>')
    .argument('<b>')
    .option('--note <text>', 'why')
    .option('--actor <name>', 'who decided', process.env.USER ?? 'cli')
    .action(async (a: string, b: string, options: { note?: string; actor: string }, command: Command) => {
      await withDatabase(command, async (db) => {
        await separatePeople(db, a, b, { actor: options.actor, ...(options.note ? { note: options.note } : {}) });
        process.stdout.write(`${pc.green('✓')} ${a} and ${b} are kept apart\n`);
      });
    });

  people
    .command('unseparate')
    .description('Lift a "never merge these two" decision.')
    .argument('<a>')
    .argument('<b>')
    .action(async (a: string, b: string, _options: unknown, command: Command) => {
      await withDatabase(command, async (db) => {
        const lifted = await unseparatePeople(db, a, b);
        process.stdout.write(lifted ? `${pc.green('✓')} lifted\n` : 'they were not kept apart\n');
      });
    });

  people
    .command('suggestions')
    .description('Probable links, scored, for a person to accept (people merge) or reject (people separate).')
    .option('--person <person>', 'only suggestions involving this person')
    .option('--limit <n>', 'at most this many', parseWhole, 50)
    .option('--min-score <score>', 'only suggestions scoring at least this (0 to 1)', parseScore)
    .option('--accept', 'merge every suggestion scoring at least --min-score (audited; each can be undone)')
    .option('--actor <name>', 'who accepted them', process.env.USER ?? 'cli')
    .option('--json', 'print as JSON')
    .action(async (options: { person?: string; limit: number; minScore?: number; accept?: boolean; actor: string; json?: boolean }, command: Command) => {
      if (options.accept && (options.minScore === undefined || options.person)) throw new UsageError('--accept needs --min-score, and works on all suggestions (no --person)');
      await withDatabase(command, async (db) => {
        if (options.accept) {
          const result = await acceptSuggestions(db, { minScore: options.minScore as number, actor: options.actor });
          if (options.json) return printJson(result);
          process.stdout.write(`${pc.green('✓')} Accepted ${result.accepted} suggestions (${result.skipped} already one person or kept apart).\n`);
          return;
        }
        const suggestions = await suggestMerges(db, { limit: options.limit, minScore: options.minScore ?? 0, ...(options.person ? { person: options.person } : {}) });
        if (options.json) return printJson(suggestions);
        printTable(
          suggestions.map((s) => ({ score: s.score.toFixed(2), a: s.a.key, b: s.b.key, shared: s.shared, rules: s.rules.join(', ') })),
          ['score', 'a', 'b', 'shared', 'rules'],
        );
      });
    });

  people
    .command('resolve')
    .description('Resolve the identities and people added since the last run: merge certain links, detect bots, derive e-mail affiliations.')
    .option('--json', 'print the result as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      await withDatabase(command, async (db) => {
        const stats = await resolveIdentities(db, { actor: 'cli' });
        if (options.json) return printJson(stats);
        process.stdout.write(
          `${pc.green('✓')} Looked at ${stats.identities} identities and ${stats.people} people in ${stats.seconds.toFixed(2)} s: ` +
            `${stats.merges} merges, ${stats.keptApart} kept apart, ${stats.botsDetected} bots detected, ${stats.affiliations} affiliations from e-mail domains.\n`,
        );
        if (Object.keys(stats.links).length > 0) {
          printTable(
            Object.entries(stats.links).map(([rule, links]) => ({ rule, links })),
            ['rule', 'links'],
          );
        }
      });
    });

  people
    .command('bot')
    .description("Override bot detection for a person: 'yes' (a bot), 'no' (a human), or 'auto' (let the rules decide).")
    .argument('<person>')
    .addArgument(new Argument('<decision>', 'yes, no or auto').choices(['yes', 'no', 'auto']))
    .option('--json', 'print the resulting status as JSON')
    .action(async (person: string, decision: string, options: { json?: boolean }, command: Command) => {
      if (!['yes', 'no', 'auto'].includes(decision)) throw new UsageError(`decision must be yes, no or auto, got ${JSON.stringify(decision)}`);
      await withDatabase(command, async (db) => {
        const status = await setBotOverride(db, person, decision === 'auto' ? null : decision === 'yes');
        if (options.json) return printJson(status);
        process.stdout.write(`${pc.green('✓')} ${person}: ${status.bot ? 'a bot' : 'not a bot'} (${status.source}${status.rule ? `, ${status.rule}` : ''})\n`);
      });
    });

  people
    .command('classify')
    .description('team, community or bot, for a person at a time.')
    .argument('<person>')
    .addOption(new Option('--at <date>', 'the time (default now)').argParser(parseInstant))
    .addOption(rulesOption())
    .option('--json', 'print as JSON')
    .action(async (person: string, options: { at?: Date; rules?: string; json?: boolean }, command: Command) => {
      const rules = loadRules(options.rules);
      await withDatabase(command, async (db) => {
        const at = options.at ?? new Date();
        const found = await findPerson(db, person);
        const result = await classify(db, found.id, at, rules);
        if (options.json) return printJson({ person: found.key, at, class: result });
        process.stdout.write(`${result}\n`);
      });
    });

  people
    .command('history')
    .description('Merges and unmerges, newest first (of one person when given).')
    .argument('[person]')
    .option('--limit <n>', 'at most this many', parseWhole, 50)
    .option('--json', 'print as JSON')
    .action(async (person: string | undefined, options: { limit: number; json?: boolean }, command: Command) => {
      await withDatabase(command, async (db) => {
        const merges = await mergeHistory(db, person, options.limit);
        if (options.json) return printJson(merges);
        printTable(
          merges.map((m) => ({ ...m, mergedAt: m.mergedAt.toISOString(), undoneAt: m.undoneAt?.toISOString() ?? '' })),
          ['id', 'fromPersonId', 'intoPersonId', 'reason', 'rule', 'actor', 'mergedAt', 'undoneAt'],
        );
      });
    });

  people
    .command('merged-mrs')
    .description("Classify the author of every merged MR at its merge time and count: the check behind every community KPI.")
    .option('--project <project...>', 'only these projects ("platform:path")')
    .addOption(rulesOption())
    .option('--json', 'print as JSON')
    .action(async (options: { project?: string[]; rules?: string; json?: boolean }, command: Command) => {
      const rules = loadRules(options.rules);
      await withDatabase(command, async (db) => {
        const counts = await classifyMergedMergeRequests(db, rules, options.project ? { projects: options.project } : {});
        if (options.json) return printJson(counts);
        printTable(
          [
            { measure: 'merged MRs', count: counts.mergeRequests },
            { measure: 'team', count: counts.team },
            { measure: 'community', count: counts.community },
            { measure: 'bot', count: counts.bot },
            { measure: 'no author', count: counts.withoutAuthor },
            { measure: 'team, no author e-mail at a team domain', count: counts.teamWithoutTeamDomainEmail },
            { measure: 'bots counted as community', count: counts.botsCountedAsCommunity },
          ],
          ['measure', 'count'],
        );
      });
    });
}

// ——— organisations ———

function registerOrganisations(program: Command, withDatabase: WithDatabase) {
  const orgs = program.command('orgs').description('Organisations, their domains and ARR, and who belonged to them when.');

  orgs
    .command('list')
    .description('Every organisation with its domains, ARR, parent and number of affiliated people.')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      await withDatabase(command, async (db) => {
        const rows = await listOrganisations(db);
        if (options.json) return printJson(rows);
        printTable(
          rows.map((r) => ({ ...r, domains: r.domains.join(' ') })),
          ['name', 'domains', 'arr', 'parent', 'people'],
        );
      });
    });

  orgs
    .command('add')
    .description('Create or update an organisation.')
    .argument('<name>')
    .option('--domain <domain...>', 'its e-mail domains')
    .option('--arr <amount>', 'annual recurring revenue (whole currency units)')
    .option('--parent <name>', 'its parent organisation')
    .action(async (name: string, options: { domain?: string[]; arr?: string; parent?: string }, command: Command) => {
      if (options.arr !== undefined && !/^\d+(\.\d+)?$/.test(options.arr)) throw new UsageError(`--arr must be a non-negative number, got ${JSON.stringify(options.arr)}`);
      await withDatabase(command, async (db) => {
        await saveOrganisations(db, [{ name, domains: options.domain ?? [], arr: options.arr ?? null, parent: options.parent ?? null }]);
        process.stdout.write(`${pc.green('✓')} ${name}\n`);
      });
    });

  orgs
    .command('import')
    .description('Organisations (name,domains,arr,parent) or enrollments (person,organisation,valid_from,valid_to) from CSV, by its header. All rows or none.')
    .argument('<file>', 'a CSV file, or - for standard input')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, options: { json?: boolean }, command: Command) => {
      const text = readText(file);
      const header = (text.replace(/^\ufeff/, '').split(/\r?\n/, 1)[0] ?? '').toLowerCase();
      const enrollments = /(^|,)\s*"?person"?\s*(,|$)/.test(header);
      await withDatabase(command, async (db) => {
        const rows = await allOrNothing(() => (enrollments ? importEnrollmentsCsv(db, text) : importOrganisationsCsv(db, text)));
        if (options.json) return printJson({ kind: enrollments ? 'enrollments' : 'organisations', rows });
        process.stdout.write(`${pc.green('✓')} Imported ${rows} ${enrollments ? 'enrollments' : 'organisations'}.\n`);
      });
    });

  orgs
    .command('export')
    .description('Organisations (or, with --enrollments, enrollments) as CSV, in the format orgs import reads.')
    .option('--enrollments', 'export enrollments instead of organisations')
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .action(async (options: { enrollments?: boolean; output?: string }, command: Command) => {
      await withDatabase(command, async (db) => {
        write(options.enrollments ? await exportEnrollmentsCsv(db) : await exportOrganisationsCsv(db), options.output);
      });
    });

  orgs
    .command('enroll')
    .description('Record that a person belonged to an organisation over [from, to).')
    .argument('<person>')
    .argument('<organisation>')
    .addOption(new Option('--from <date>', 'first day (default: always)').argParser(parseDay))
    .addOption(new Option('--to <date>', 'first day no longer (default: still)').argParser(parseDay))
    .action(async (person: string, organisation: string, options: { from?: string; to?: string }, command: Command) => {
      await withDatabase(command, async (db) => {
        await enroll(db, [{ person, organisation, from: options.from ?? null, to: options.to ?? null }]);
        process.stdout.write(`${pc.green('✓')} ${person} in ${organisation} from ${options.from ?? 'always'} to ${options.to ?? 'now'}\n`);
      });
    });

  orgs
    .command('domains')
    .description('E-mail domains several people use that are no organisation yet (public mail providers left out).')
    .option('--min-people <n>', 'used by at least this many people', parseWhole, 2)
    .option('--limit <n>', 'at most this many', parseWhole, 50)
    .option('--public <domain...>', 'more personal mail domains to leave out (e.g. fastmail.com)')
    .option('--json', 'print as JSON')
    .action(async (options: { minPeople: number; limit: number; public?: string[]; json?: boolean }, command: Command) => {
      await withDatabase(command, async (db) => {
        const rows = await domainCandidates(db, { minPeople: options.minPeople, limit: options.limit, publicDomains: options.public ?? [] });
        if (options.json) return printJson(rows);
        printTable(rows, ['domain', 'people']);
      });
    });
}

// ——— roster ———

function registerRoster(program: Command, withDatabase: WithDatabase) {
  const roster = program.command('roster').description('The team over time: members, MR coaches, availability, group membership.');

  roster
    .command('import')
    .description("A roster snapshot: GitLab's team-member format (NDJSON, .gz too) or CSV. All lines or none.")
    .argument('<file>', 'the file, or - for standard input')
    .addOption(new Option('--format <format>', 'default: csv for .csv files, gitlab otherwise').choices(['gitlab', 'csv']))
    .addOption(new Option('--as-of <date>', 'the day the snapshot describes (default today)').argParser(parseDay))
    .option('--source <name>', 'what to call this roster (default gitlab-team or roster)')
    .option('--keep-missing', 'do not end the memberships of people missing from the file')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, options: { format?: string; asOf?: string; source?: string; keepMissing?: boolean; json?: boolean }, command: Command) => {
      const text = readText(file);
      const format = options.format ?? (/\.csv(\.gz)?$/i.test(file) ? 'csv' : 'gitlab');
      const importOptions = {
        ...(options.asOf ? { asOf: options.asOf } : {}),
        ...(options.source ? { source: options.source } : {}),
        closeMissing: !options.keepMissing,
      };
      await withDatabase(command, async (db) => {
        const stats = await allOrNothing(() => (format === 'csv' ? importRosterCsv(db, text, importOptions) : importGitlabTeam(db, text, importOptions)));
        if (options.json) return printJson(stats);
        process.stdout.write(
          `${pc.green('✓')} ${stats.members} members (${stats.created} new, ${stats.updated} updated), ${stats.coaches} coaches; ${stats.closed} memberships ended.\n`,
        );
      });
    });

  roster
    .command('export')
    .description('The roster as CSV, in the format roster import reads.')
    .option('--source <name>', 'only memberships from this source')
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .action(async (options: { source?: string; output?: string }, command: Command) => {
      await withDatabase(command, async (db) => {
        write(await exportRosterCsv(db, options.source ? { source: options.source } : {}), options.output);
      });
    });

  roster
    .command('list')
    .description('Team members on a day.')
    .addOption(new Option('--at <date>', 'the day (default today)').argParser(parseDay))
    .option('--json', 'print as JSON')
    .action(async (options: { at?: string; json?: boolean }, command: Command) => {
      await withDatabase(command, async (db) => {
        const rows = await rosterAt(db, options.at);
        if (options.json) return printJson(rows);
        printTable(
          rows.map((r) => ({ ...r, roles: JSON.stringify(r.roles) === '[]' ? '' : JSON.stringify(r.roles) })),
          ['key', 'name', 'title', 'department', 'roles', 'source'],
        );
      });
    });

  roster
    .command('coaches')
    .description('MR coaches on a day, with specialty, capacity, open reviews and whether they are out of office.')
    .addOption(new Option('--at <date>', 'the day (default today)').argParser(parseDay))
    .addOption(new Option('--specialty <specialty>', 'only this specialty').choices(['development', 'docs', 'quality', 'ux']))
    .option('--available', 'only coaches not out of office and not at capacity')
    .option('--json', 'print as JSON')
    .action(async (options: { at?: string; specialty?: string; available?: boolean; json?: boolean }, command: Command) => {
      await withDatabase(command, async (db) => {
        const rows = await coaches(db, {
          ...(options.at ? { at: options.at } : {}),
          ...(options.specialty ? { specialty: options.specialty } : {}),
          available: Boolean(options.available),
        });
        if (options.json) return printJson(rows);
        printTable(
          rows.map((r) => ({ ...r, outOfOffice: r.outOfOffice ? 'away' : '' })),
          ['key', 'name', 'specialty', 'capacity', 'openReviews', 'outOfOffice'],
        );
      });
    });

  roster
    .command('ooo')
    .description('Record an out-of-office period [from, to) for a team member.')
    .argument('<person>')
    .argument('<from>', 'first day away (YYYY-MM-DD)', parseDay)
    .argument('[to]', 'first day back (YYYY-MM-DD); open when left out', parseDay)
    .option('--note <text>')
    .action(async (person: string, from: string, to: string | undefined, options: { note?: string }, command: Command) => {
      await withDatabase(command, async (db) => {
        await setOutOfOffice(db, person, from, to ?? null, options.note);
        process.stdout.write(`${pc.green('✓')} ${person} away from ${from}${to ? ` until ${to}` : ''}\n`);
      });
    });

  roster
    .command('capacity')
    .description("Set how many community MRs a coach takes on at once ('none' for the default), on their current membership.")
    .argument('<person>')
    .argument('<capacity>', "a whole number, or 'none'", (v: string) => (v === 'none' ? null : parseWhole(v)))
    .action(async (person: string, capacity: number | null, _options: unknown, command: Command) => {
      await withDatabase(command, async (db) => {
        await setCapacity(db, person, capacity);
        process.stdout.write(`${pc.green('✓')} ${person}: capacity ${capacity ?? 'default'}\n`);
      });
    });

  roster
    .command('group')
    .description('Sync the members of a forge group from a GitLab API response (GET /groups/:id/members): new members join, missing ones leave.')
    .argument('<group>', 'the group path, e.g. gitlab-org')
    .argument('<file>', 'the JSON array the API returned, or - for standard input')
    .addOption(new Option('--at <date>', 'the day of the listing (default today)').argParser(parseDay))
    .option('--json', 'print the result as JSON')
    .action(async (group: string, file: string, options: { at?: string; json?: boolean }, command: Command) => {
      let members: unknown;
      try {
        members = JSON.parse(readText(file));
      } catch (error) {
        if (error instanceof UsageError) throw error;
        throw new UsageError(`${file} is not JSON: ${(error as Error).message}`);
      }
      if (!Array.isArray(members) || members.some((m) => typeof m?.id !== 'number' || typeof m?.username !== 'string')) {
        throw new UsageError(`${file} must be a JSON array of members with a numeric id and a username`);
      }
      await withDatabase(command, async (db) => {
        const result = await syncGroupMembers(db, { path: group }, members as never, options.at);
        if (options.json) return printJson(result);
        process.stdout.write(`${pc.green('✓')} ${group}: ${result.members} members listed, ${result.opened} joined, ${result.closed} left.\n`);
      });
    });
}
