import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import pc from 'picocolors';
import type { Database } from '../db/connection.ts';
import { KPIS } from '../metrics/catalogue.ts';
import { catalogueMarkdown } from '../metrics/catalogue-doc.ts';
import { GRAINS, POPULATIONS } from '../metrics/kpi.ts';
import { writeReport } from '../metrics/report.ts';
import { describeRefresh, readClassificationRules, refreshRollups, writeClassificationRules } from '../metrics/rollups.ts';
import { checkRequest, explainKpi, type FiltersInput, findKpi, pendingChanges, runKpi } from '../metrics/run.ts';
import { printJson, printTable, UsageError } from './output.ts';

type WithDatabase = <T>(command: Command, work: (db: Database) => Promise<T>) => Promise<T>;

const FORMATS = ['table', 'csv', 'json', 'md'] as const;
type Format = (typeof FORMATS)[number];

interface FilterOptions {
  from?: string;
  to?: string;
  by?: string;
  project?: string[];
  organisation?: string;
  population?: string;
  param?: string[];
  format: Format;
}

function addFilterOptions(command: Command): Command {
  return command
    .option('--from <period>', 'first period: YYYY-MM, YYYY-Qn, YYYY or YYYY-MM-DD (default: twelve months before --to)')
    .option('--to <period>', 'last period, inclusive (default: the last complete month)')
    .addOption(new Option('--by <grain>', 'day, week, month, quarter, year or release (default: the KPI’s own)').choices(GRAINS))
    .option('--project <path...>', 'only these projects ("gitlab:group/project" or "group/project"; default: the monitored ones)')
    .option('--organisation <name>', 'only people of this organisation (and its child organisations) at the time')
    .addOption(new Option('--population <who>', 'community, team or all (default: the KPI’s own)').choices(POPULATIONS))
    .option('--param <name=value...>', 'a KPI parameter (see `kpi list --json`)')
    .addOption(new Option('--format <format>', 'how to print').choices(FORMATS).default('table'));
}

function filtersOf(options: FilterOptions): FiltersInput {
  const parameters: Record<string, unknown> = {};
  for (const pair of options.param ?? []) {
    const index = pair.indexOf('=');
    if (index <= 0) throw new UsageError(`--param expects name=value, got ${JSON.stringify(pair)}`);
    const text = pair.slice(index + 1);
    // Numbers, booleans and JSON lists are what parameters take; anything else is a string.
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {}
    parameters[pair.slice(0, index)] = value;
  }
  return {
    from: options.from,
    to: options.to,
    grain: options.by as FiltersInput['grain'],
    projects: options.project,
    organisation: options.organisation,
    population: options.population as FiltersInput['population'],
    parameters: options.param ? parameters : undefined,
  };
}

/** Brings the rollups up to date before reading them, saying so when it takes a moment. */
async function fresh(db: Database) {
  const pending = await pendingChanges(db);
  if (pending === 0) return;
  if (process.stderr.isTTY) process.stderr.write(pc.dim(`updating the KPI rollups (${Number.isFinite(pending) ? `${pending} changes` : 'first build'})…\n`));
  await refreshRollups(db);
}

function printRows(rows: Record<string, unknown>[], columns: string[], format: Format) {
  if (format === 'json') return printJson(rows);
  if (format === 'csv') {
    const cell = (value: unknown) => {
      const text = value instanceof Date ? value.toISOString() : value === null || value === undefined ? '' : String(value);
      return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
    };
    process.stdout.write(`${columns.join(',')}\n${rows.map((row) => columns.map((c) => cell(row[c])).join(',')).join('\n')}\n`);
    return;
  }
  if (format === 'md') {
    const cell = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value ?? '')).replaceAll('|', '\\|');
    process.stdout.write(`| ${columns.join(' | ')} |\n|${columns.map(() => '---').join('|')}|\n`);
    for (const row of rows) process.stdout.write(`| ${columns.map((c) => cell(row[c])).join(' | ')} |\n`);
    return;
  }
  printTable(
    rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString().slice(0, 19).replace('T', ' ') : v]))),
    columns,
  );
}

export function registerKpiCommands(program: Command, withDatabase: WithDatabase) {
  const kpi = program.command('kpi').description('The KPIs: list them, show a series, explain a value by the rows behind it.');

  kpi
    .command('list')
    .description('Every KPI: id, what it measures, where its definition comes from.')
    .option('--json', 'print as JSON, with definitions, grains and parameters')
    .addOption(new Option('--format <format>', 'md: the catalogue as Markdown (docs/kpi-catalogue.md)').choices(['table', 'md']))
    .action((options: { json?: boolean; format?: string }) => {
      if (options.format === 'md') {
        process.stdout.write(catalogueMarkdown());
        return;
      }
      if (options.json) {
        return printJson(
          KPIS.map((k) => ({
            id: k.id,
            title: k.title,
            definition: k.definition,
            source: k.source,
            unit: k.unit,
            grains: k.grains,
            populations: k.populations,
            needs: k.needs,
            target: k.target ?? null,
          })),
        );
      }
      printTable(
        KPIS.map((k) => ({ id: k.id, title: k.title, unit: k.unit, by: k.grains.join(', '), source: k.source.name })),
        ['id', 'title', 'unit', 'by', 'source'],
      );
    });

  addFilterOptions(kpi.command('show').description('A KPI’s values over a range of periods.').argument('<id>', 'the KPI (see `kpi list`)')).action(
    async (id: string, options: FilterOptions, command: Command) => {
      const filters = filtersOf(options);
      checkRequest(id, filters);
      await withDatabase(command, async (db) => {
        await fresh(db);
        const result = await runKpi(db, id, filters);
        if (options.format === 'json') return printJson(result);
        if (!result.available) {
          process.stderr.write(`${pc.yellow('not available:')} ${result.reason}\n`);
          process.exitCode = 1;
          return;
        }
        const breakdowns = [...new Set(result.points.flatMap((p) => Object.keys(p.values ?? {})))];
        const rows = result.points.map((p) => ({ period: p.period, [result.unit]: p.value, ...(p.values ?? {}), ...(p.basis === undefined ? {} : { basis: p.basis }) }));
        const columns = ['period', result.unit, ...breakdowns, ...(result.points.some((p) => p.basis !== undefined) ? ['basis'] : [])];
        if (options.format === 'table') {
          process.stdout.write(
            `${pc.bold(result.title)} (${result.population}, by ${result.grain}, ${result.projects.length ? result.projects.join(', ') : 'no projects'}${result.organisation ? `, ${result.organisation}` : ''})\n`,
          );
        }
        printRows(rows, columns, options.format);
      });
    },
  );

  addFilterOptions(
    kpi
      .command('explain')
      .description('The rows behind one value: the people, merge requests or organisations counted.')
      .argument('<id>', 'the KPI')
      .argument('<period>', 'the period as `kpi show` prints it: 2024-05, 2024-Q2, 2024, 2024-05-17, or a release title'),
  ).action(async (id: string, period: string, options: FilterOptions, command: Command) => {
    findKpi(id);
    await withDatabase(command, async (db) => {
      await fresh(db);
      const explained = await explainKpi(db, id, period, filtersOf(options));
      if (options.format === 'json') return printJson(explained);
      if (options.format === 'table') process.stdout.write(`${pc.bold(`${id} ${period} = ${explained.value?.value ?? '–'}`)}: ${explained.summary}\n`);
      printRows(explained.rows, explained.columns, options.format);
    });
  });

  kpi
    .command('refresh')
    .description('Bring the KPI rollups up to date (sync and import do this themselves).')
    .option('--full', 'rebuild them from the raw tables')
    .action(async (options: { full?: boolean }, command: Command) => {
      await withDatabase(command, async (db) => {
        const result = await refreshRollups(db, { full: options.full });
        process.stdout.write(`${describeRefresh(result)}\n`);
      });
    });

  kpi
    .command('rules')
    .description('Who counts as team: show the classification rules, or set them from a JSON file (docs/people.md).')
    .option('--set <file>', 'a JSON file with the rules; the rollups are rebuilt with them')
    .action(async (options: { set?: string }, command: Command) => {
      await withDatabase(command, async (db) => {
        if (options.set) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(readFileSync(options.set, 'utf8'));
          } catch (error) {
            throw new UsageError(`cannot read ${options.set}: ${(error as Error).message}`);
          }
          await writeClassificationRules(db, parsed);
          const result = await refreshRollups(db);
          process.stdout.write(`${pc.green('✓')} Classification rules saved. ${describeRefresh(result)}\n`);
        }
        printJson(await readClassificationRules(db));
      });
    });

  program
    .command('report')
    .description('A Markdown report of every KPI for a month, with an SVG chart per KPI beside it.')
    .requiredOption('--month <YYYY-MM>', 'the month to report')
    .option('-o, --output-dir <dir>', 'where to write report-YYYY-MM.md and charts/', '.')
    .option('--project <path...>', 'only these projects (default: the monitored ones)')
    .option('--organisation <name>', 'only people of this organisation')
    .action(async (options: { month: string; outputDir: string; project?: string[]; organisation?: string }, command: Command) => {
      await withDatabase(command, async (db) => {
        await fresh(db);
        const summary = await writeReport(db, { month: options.month, outputDir: options.outputDir, filters: { projects: options.project, organisation: options.organisation } });
        process.stdout.write(
          `${pc.green('✓')} Wrote ${summary.file} with ${summary.charts.length} charts` +
            `${summary.unavailable.length ? ` (${summary.unavailable.length} KPIs not available here: ${summary.unavailable.join(', ')})` : ''}.\n`,
        );
      });
    });
}

