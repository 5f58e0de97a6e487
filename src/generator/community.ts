import { once } from 'node:events';
import { isoInstant } from '../db/time.ts';
import type {
  ActivityRecord,
  AffiliationRecord,
  AnyRecord,
  CommentRecord,
  CommitRecord,
  IdentityRecord,
  IssueRecord,
  LabelEventRecord,
  MergeRequestRecord,
  MilestoneRecord,
  OrganisationRecord,
  PersonRecord,
  ProjectRecord,
  ReviewRecord,
  TeamMembershipRecord,
} from '../interchange/records.ts';
import { Random, searchCumulative, WeightedPicker } from './random.ts';

/**
 * A synthetic open-source community in the NDJSON interchange format, for tests, demos and benchmarks.
 *
 * The shape follows what the KPIs need (docs/kpis.md): a company team with MR coaches, a heavy-tailed
 * wider community (a few prolific contributors, most with one to three MRs), bots, organisations with ARR
 * and parents, affiliations that change over time, monthly milestones, MRs with review timing, labels and
 * outcomes, and activities growing over the years.
 *
 * Only the "world" (projects, organisations, people and their memberships, milestones) is held in memory;
 * merge requests and activities are streamed. Activities come last in the file but many derive from merge
 * requests, so the merge requests are generated twice from the same seed: once to write them (counting the
 * activities they imply) and once to write those activities. Derived activities are then thinned (exactly,
 * by selection sampling) or topped up with community chatter so the activity count is exactly as asked.
 *
 * Per MR come on average about 1.5 extra records (comments, reviews, label events, issues, commits), most of
 * them on community MRs, where the KPIs look (review SLO, time to first review, triage labels). Every natural
 * key is unique by construction: MR, issue and comment numbers and commit SHAs come from counters, and each
 * derived activity is the only one of its kind on its object.
 *
 * Choices where reality offers several:
 * - `mr_merged` and `mr_closed` are credited to the MR's author at merged_at / closed_at (contributor points
 *   go to the author); `issue_closed` is credited to the author of the MR that closed the issue.
 * - Milestones are group milestones of `acme` (MRs carry `milestone_scope: 'acme'`), titled like GitLab's
 *   monthly releases (start month = x.7, major bump every 12 months), released on the 22nd.
 * - Team status is decided at the instant of each contribution, so people who join or leave the team have
 *   community MRs before or after; `Community contribution` is set from that status.
 * - Chatter activities (chat, forum, translations, talks) have `message`/`other` objects with keys of their
 *   own; filler `issue_commented` and `commit_authored` activities point at comments and commits outside the
 *   file (issues and pushes not exported), numbered after the file's own so they never collide.
 * - A few people have a second account already merged into the first (`merged_into`).
 */

export interface CommunityOptions {
  seed?: string | number;
  /** Exactly this many merge_request records. */
  mergeRequests: number;
  /** Exactly this many activity records. */
  activities: number;
  /** Default: mergeRequests / 20, at least 200 and at most 50,000. */
  people?: number;
  /** Default 3: acme/platform, acme/runner, acme/docs. */
  projects?: number;
  /** ISO date or date-time; default 2019-01-01. */
  start?: string;
  /** ISO date (the whole day counts) or date-time; default 2026-10-31. */
  end?: string;
}

export interface WriteSummary {
  lines: number;
  counts: Record<string, number>;
}

// ——— time ———

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MONTH = 30.44 * DAY;
const YEAR = 365.25 * DAY;

export { isoInstant };

const isoDay = (ms: number): string => isoInstant(ms).slice(0, 10);
const dayStart = (ms: number): number => Math.floor(ms / DAY) * DAY;

// ——— settings ———

interface Settings {
  seed: string;
  mergeRequests: number;
  activities: number;
  people: number;
  projects: number;
  startMs: number;
  endMs: number;
}

/** The community grows: the rate of contributions at the end is this many times the rate at the start. */
const GROWTH = 4;
const GROWTH_LOG = Math.log(GROWTH);

function parseBoundary(value: string, name: string, wholeDay: boolean): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`${name} must be an ISO date or date-time, got ${JSON.stringify(value)}`);
  return /^\d{4}-\d{2}-\d{2}$/.test(value) && wholeDay ? ms + DAY - 1 : ms;
}

function count(value: number | undefined, name: string, fallback: number): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < 0) throw new RangeError(`${name} must be a non-negative integer`);
  return resolved;
}

function resolveSettings(options: CommunityOptions): Settings {
  const mergeRequests = count(options.mergeRequests, 'mergeRequests', 0);
  const activities = count(options.activities, 'activities', 0);
  const startMs = parseBoundary(options.start ?? '2019-01-01', 'start', false);
  const endMs = parseBoundary(options.end ?? '2026-10-31', 'end', true);
  if (endMs - startMs < 60 * DAY) throw new RangeError('end must be at least 60 days after start');
  const people = Math.max(12, count(options.people, 'people', Math.min(50_000, Math.max(200, Math.round(mergeRequests / 20)))));
  const projects = Math.max(1, count(options.projects, 'projects', 3));
  return { seed: String(options.seed ?? 'tributary'), mergeRequests, activities, people, projects, startMs, endMs };
}

// ——— vocabulary ———

interface ProjectTemplate {
  path: string;
  name: string;
  weight: number;
  branch: string;
  docs?: boolean;
  groups: readonly string[];
  areas: readonly string[];
}

const PROJECT_TEMPLATES: readonly ProjectTemplate[] = [
  {
    path: 'acme/platform',
    name: 'Acme Platform',
    weight: 58,
    branch: 'master',
    groups: ['group::source code', 'group::code review', 'group::pipeline authoring', 'group::project management', 'group::authentication', 'group::import and integrate'],
    areas: ['merge request widget', 'pipeline editor', 'issue boards', 'repository mirroring', 'access tokens', 'webhooks', 'audit events', 'search', 'wiki', 'project settings'],
  },
  {
    path: 'acme/runner',
    name: 'Acme Runner',
    weight: 18,
    branch: 'main',
    groups: ['group::runner'],
    areas: ['docker executor', 'kubernetes executor', 'cache', 'artifacts uploader', 'shell executor', 'autoscaler'],
  },
  {
    path: 'acme/docs',
    name: 'Acme Docs',
    weight: 14,
    branch: 'main',
    docs: true,
    groups: ['group::technical writing'],
    areas: ['installation guide', 'API reference', 'CI/CD tutorial', 'runner docs', 'administration guide', 'glossary'],
  },
  { path: 'acme/cli', name: 'Acme CLI', weight: 5, branch: 'main', groups: ['group::developer experience'], areas: ['login command', 'release command', 'config file', 'shell completion'] },
  { path: 'acme/charts', name: 'Acme Helm charts', weight: 3, branch: 'main', groups: ['group::distribution'], areas: ['ingress template', 'values schema', 'upgrade hooks'] },
  { path: 'acme/website', name: 'Acme website', weight: 3, branch: 'main', docs: true, groups: ['group::marketing'], areas: ['blog', 'pricing page', 'handbook'] },
  { path: 'acme/ui-kit', name: 'Acme UI kit', weight: 3, branch: 'main', groups: ['group::design system'], areas: ['button component', 'date picker', 'tooltip', 'tokens'] },
];

const FIRST_NAMES = [
  'Anna', 'Ben', 'Carlos', 'Chen', 'Daniel', 'Diana', 'Emma', 'Fatima', 'Felix', 'Gabriel', 'Hana', 'Hiroshi', 'Inês',
  'Ivan', 'Jakub', 'James', 'Jana', 'Jin', 'Jonas', 'Julia', 'Kai', 'Kofi', 'Lars', 'Laura', 'Léa', 'Lucas', 'Mai',
  'Maria', 'Mateo', 'Mei', 'Mohammed', 'Nadia', 'Nikhil', 'Noah', 'Olga', 'Omar', 'Pablo', 'Priya', 'Rafael', 'Rahul',
  'Sara', 'Sofia', 'Tariq', 'Thomas', 'Tomasz', 'Valentina', 'Wei', 'Yuki', 'Zara', 'Zoë', 'José', 'Søren', 'Amara',
  'Chidi', 'Ngozi', 'Arjun', 'Aisha', 'Dmitri', 'Elif', 'Emre', 'Finn', 'Greta', 'Hugo', 'Ikechukwu', 'Joon', 'Kenji',
  'Leila', 'Marek', 'Nina', 'Oscar', 'Paula', 'Quentin', 'Rosa', 'Sven', 'Tara', 'Uma', 'Victor', 'Wanjiru', 'Xin',
  'Yara', 'Łukasz', 'Agnieszka', 'Bruno', 'Camila', 'Deepa', 'Erik', 'Giulia', 'Hamza', 'Ingrid', 'Kwame', 'Linh',
];
const LAST_NAMES = [
  'Anderson', 'Bauer', 'Becker', 'Chen', 'Costa', 'da Silva', 'Dubois', 'Fernandes', 'Fischer', 'García', 'Gonzalez',
  'Gupta', 'Hansen', 'Hoffmann', 'Ivanova', 'Jansen', 'Kim', 'Kowalski', 'Kumar', 'Larsen', 'Lee', 'Li', 'López',
  'Martin', 'Müller', 'Nakamura', 'Nguyen', 'Novák', 'Okafor', 'Olsen', 'Patel', 'Pereira', 'Petrov', 'Rossi', 'Sato',
  'Schmidt', 'Schneider', 'Singh', 'Smith', 'Suzuki', 'Tanaka', 'Taylor', 'van den Berg', 'Wagner', 'Wang', 'Weber',
  'Williams', 'Wójcik', 'Yamamoto', 'Zhang', 'Mensah', 'Adeyemi', 'Haddad', 'Kaya', 'Yılmaz', 'Andersson', 'Nieminen',
  'Horváth', 'Popescu', 'Moreau', 'Ricci', 'Romano', 'Brown', 'Clarke', "O'Brien", 'Murphy', 'Kelly', 'Reddy', 'Iyer',
  'Sharma', 'Tran', 'Pham', 'Santos', 'Oliveira', 'Alves', 'Nowak', 'Lindqvist', 'Berg', 'Eriksen', 'Khan', 'Osei',
];

/** [country, IANA zone, standard UTC offset in minutes (DST ignored: only commit dates show it), weight]. */
const ZONES: readonly (readonly [string, string, number, number])[] = [
  ['US', 'America/New_York', -300, 9], ['US', 'America/Chicago', -360, 4], ['US', 'America/Los_Angeles', -480, 7],
  ['CA', 'America/Toronto', -300, 3], ['BR', 'America/Sao_Paulo', -180, 4], ['MX', 'America/Mexico_City', -360, 2],
  ['AR', 'America/Argentina/Buenos_Aires', -180, 1.5], ['CO', 'America/Bogota', -300, 1], ['GB', 'Europe/London', 0, 5],
  ['IE', 'Europe/Dublin', 0, 1], ['PT', 'Europe/Lisbon', 0, 1], ['DE', 'Europe/Berlin', 60, 7], ['FR', 'Europe/Paris', 60, 4],
  ['NL', 'Europe/Amsterdam', 60, 3], ['ES', 'Europe/Madrid', 60, 2], ['IT', 'Europe/Rome', 60, 2], ['PL', 'Europe/Warsaw', 60, 3],
  ['CZ', 'Europe/Prague', 60, 1], ['SE', 'Europe/Stockholm', 60, 1], ['CH', 'Europe/Zurich', 60, 1], ['NG', 'Africa/Lagos', 60, 2],
  ['UA', 'Europe/Kyiv', 120, 3], ['RO', 'Europe/Bucharest', 120, 1], ['ZA', 'Africa/Johannesburg', 120, 1],
  ['EG', 'Africa/Cairo', 120, 1], ['TR', 'Europe/Istanbul', 180, 2], ['KE', 'Africa/Nairobi', 180, 1.5],
  ['PK', 'Asia/Karachi', 300, 2], ['IN', 'Asia/Kolkata', 330, 9], ['BD', 'Asia/Dhaka', 360, 1], ['ID', 'Asia/Jakarta', 420, 2],
  ['VN', 'Asia/Ho_Chi_Minh', 420, 1], ['CN', 'Asia/Shanghai', 480, 5], ['SG', 'Asia/Singapore', 480, 1],
  ['PH', 'Asia/Manila', 480, 1], ['JP', 'Asia/Tokyo', 540, 3], ['KR', 'Asia/Seoul', 540, 1], ['AU', 'Australia/Sydney', 600, 2],
  ['NZ', 'Pacific/Auckland', 720, 0.5],
];

const FREE_MAIL = ['gmail.com', 'gmail.com', 'gmail.com', 'outlook.com', 'proton.me', 'yahoo.com', 'hey.com', 'posteo.de', 'qq.com', 'fastmail.com'];

const ORGANISATION_WORDS = [
  'Nordwind', 'Bluefin', 'Cobalt', 'Helix', 'Quanta', 'Redwood', 'Summit', 'Vertex', 'Lumen', 'Pioneer', 'Atlas',
  'Beacon', 'Cascade', 'Ember', 'Falcon', 'Granite', 'Harbor', 'Ionic', 'Juniper', 'Kestrel', 'Lattice', 'Meridian',
  'Nimbus', 'Orbit', 'Polar', 'Quartz', 'Riverstone', 'Sable', 'Tidal', 'Umbra', 'Vector', 'Willow', 'Zenith', 'Aurora',
  'Basalt', 'Cedar', 'Delta', 'Evergreen', 'Fjord', 'Glacier',
];
const ORGANISATION_KINDS = ['Systems', 'Labs', 'Software', 'Cloud', 'Technologies', 'Networks', 'Data', 'Digital', 'Analytics', 'Security'];
/** Legal form and the top-level domain that goes with it. */
const LEGAL_FORMS: readonly (readonly [string, string])[] = [
  ['Inc.', 'com'], ['GmbH', 'de'], ['Ltd', 'co.uk'], ['AG', 'ch'], ['SAS', 'fr'], ['BV', 'nl'], ['', 'io'],
];

type Discipline = 'development' | 'docs' | 'quality' | 'ux';
const TEAM_ROLES: readonly (readonly [Discipline, string, string, number])[] = [
  ['development', 'Backend Engineer', 'Engineering', 22], ['development', 'Senior Backend Engineer', 'Engineering', 18],
  ['development', 'Frontend Engineer', 'Engineering', 14], ['development', 'Staff Engineer', 'Engineering', 5],
  ['development', 'Engineering Manager', 'Engineering', 6], ['development', 'Contributor Success Engineer', 'Developer Relations', 3],
  ['docs', 'Technical Writer', 'Product', 7], ['docs', 'Senior Technical Writer', 'Product', 3],
  ['quality', 'Software Engineer in Test', 'Engineering', 8], ['quality', 'Senior Software Engineer in Test', 'Engineering', 4],
  ['ux', 'Product Designer', 'Product', 6], ['ux', 'Senior Product Designer', 'Product', 3],
];

const NAMED_BOTS = [
  ['acme-triage-bot', 'Acme Triage Bot'],
  ['renovate-bot', 'Renovate Bot'],
  ['release-tools-bot', 'Release Tools Bot'],
  ['danger-bot', 'Danger Bot'],
  ['docs-lint-bot', 'Docs Lint Bot'],
  ['security-scanner-bot', 'Security Scanner Bot'],
  ['translations-sync-bot', 'Translations Sync Bot'],
] as const;
const TRIAGE_BOT = 0;
const RENOVATE_BOT = 1;
const RELEASE_BOT = 2;

const FEATURES = [
  'custom labels', 'dark mode', 'keyboard shortcuts', 'pagination', 'bulk editing', 'CSV export', 'time zone', 'emoji reactions',
  'retry limits', 'OIDC tokens', 'fine-grained permissions', 'due dates', 'rate limits', 'SBOM output', 'audit logging', 'webhook filters',
];
const BUGS = [
  'typo', 'N+1 query', 'race condition', 'broken link', 'timeout', 'memory leak', 'wrong timestamp', 'missing translation',
  'layout shift', 'flaky test', 'encoding error', 'nil dereference', 'off-by-one error', 'stale cache',
];
const CONDITIONS = ['the project has no repository', 'the user is blocked', 'the pipeline is skipped', 'the label is deleted', 'the branch name has a slash'];
const PACKAGES = ['rails', 'rspec', 'eslint', 'vue', 'webpack', 'golang.org/x/net', 'prometheus/client_golang', 'sidekiq', 'pg', 'puma', 'jest', 'graphql', 'nokogiri', 'grpc'];
const REVIEW_NOTES = [
  'Thanks! Could you add a test for this?',
  'Looks good to me, one small suggestion inline.',
  'Could you rebase on the default branch?',
  'Nice work, approving.',
  'Please add a changelog trailer to the commit.',
  'This needs a feature flag, see the development guidelines.',
];
const AUTHOR_REPLIES = ['Done, thanks for the review!', 'Rebased and added the test.', 'Good catch, fixed.', 'Updated as suggested.'];
const CHAT_CHANNELS = ['contribute', 'general', 'help', 'hackathon', 'runner', 'docs'];
const LANGUAGES = ['de', 'fr', 'es', 'pt-BR', 'ja', 'zh-CN', 'uk', 'pl', 'it', 'ko', 'tr'];

type WorkType = 'feature' | 'bug' | 'maintenance';
type Category = 'team' | 'community' | 'bot';

function asciiSlug(text: string): string {
  return text
    .replace(/[øØ]/g, 'o')
    .replace(/[łŁ]/g, 'l')
    .replace(/ı/g, 'i')
    .replace(/ß/g, 'ss')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

const slugs = new Map<string, string>();

/** For the fixed vocabulary, so each word is slugged once. */
function slugOf(word: string): string {
  let slug = slugs.get(word);
  if (slug === undefined) {
    slug = asciiSlug(word);
    slugs.set(word, slug);
  }
  return slug;
}

// ——— the world: everything kept in memory ———

interface Interval {
  from: number;
  to: number;
}

interface Membership extends Interval {
  coach: boolean;
}

interface Project {
  ref: string;
  path: string;
  webUrl: string;
  branch: string;
  docs: boolean;
  groups: readonly string[];
  areas: readonly string[];
}

interface Person {
  key: string;
  name: string;
  category: Category;
  email: string;
  offsetMinutes: number;
  weight: number;
  discipline: Discipline | null;
  memberships: Membership[];
  /** Periods of contributing as wider community (for team members: before joining or after leaving). */
  communityWindows: Interval[];
}

interface Milestone {
  title: string;
  startMs: number;
  dueMs: number;
}

interface HackathonWindow {
  from: number;
  to: number;
  name: string;
}

const ACME = { name: 'Acme Inc.', domain: 'acme.com' };
const MILESTONE_SCOPE = 'acme';

function isTeamAt(person: Person, ms: number): boolean {
  for (const membership of person.memberships) if (ms >= membership.from && ms < membership.to) return true;
  return false;
}

/**
 * People available in each calendar month, with pick weights: who can author, review or chat at a given time.
 * One flat array per pool; month m owns members[offsets[m]..offsets[m+1]).
 */
class MonthlyPool {
  private readonly offsets: Int32Array;
  private readonly members: Int32Array;
  private readonly cumulative: Float64Array;
  /** For a month nobody is in, the nearest month somebody is. -1 if the pool is empty. */
  private readonly fallback: Int32Array;
  readonly empty: boolean;

  constructor(membersByMonth: number[][], weightsByMonth: number[][]) {
    const months = membersByMonth.length;
    this.offsets = new Int32Array(months + 1);
    let size = 0;
    for (let m = 0; m < months; m++) {
      this.offsets[m] = size;
      size += (membersByMonth[m] as number[]).length;
    }
    this.offsets[months] = size;
    this.members = new Int32Array(size);
    this.cumulative = new Float64Array(size);
    for (let m = 0; m < months; m++) {
      const members = membersByMonth[m] as number[];
      const weights = weightsByMonth[m] as number[];
      let total = 0;
      const base = this.offsets[m] as number;
      for (let i = 0; i < members.length; i++) {
        total += weights[i] as number;
        this.members[base + i] = members[i] as number;
        this.cumulative[base + i] = total;
      }
    }
    this.fallback = new Int32Array(months).fill(-1);
    this.empty = size === 0;
    if (this.empty) return;
    for (let m = 0; m < months; m++) {
      for (let distance = 0; distance < months; distance++) {
        const earlier = m - distance;
        const later = m + distance;
        if (earlier >= 0 && this.sizeOf(earlier) > 0) {
          this.fallback[m] = earlier;
          break;
        }
        if (later < months && this.sizeOf(later) > 0) {
          this.fallback[m] = later;
          break;
        }
      }
    }
  }

  private sizeOf(month: number): number {
    return (this.offsets[month + 1] as number) - (this.offsets[month] as number);
  }

  /** A person index, by weight; -1 if the pool is empty. */
  pick(month: number, random: Random): number {
    const m = this.fallback[month] as number;
    if (m < 0) return -1;
    const from = this.offsets[m] as number;
    const to = this.offsets[m + 1] as number;
    // Cumulative weights restart at each month, so the month's total is its last entry.
    const total = this.cumulative[to - 1] as number;
    return this.members[searchCumulative(this.cumulative, from, to, random.next() * total)] as number;
  }

  /** A person index, every member of the month equally likely; -1 if the pool is empty. */
  pickUniform(month: number, random: Random): number {
    const m = this.fallback[month] as number;
    if (m < 0) return -1;
    const from = this.offsets[m] as number;
    return this.members[from + Math.floor(random.next() * this.sizeOf(m))] as number;
  }
}

class World {
  readonly settings: Settings;
  readonly records: AnyRecord[] = [];
  readonly projects: Project[] = [];
  readonly projectPicker: WeightedPicker<number>;
  readonly people: Person[] = [];
  readonly milestones: Milestone[] = [];
  readonly monthStarts: number[] = [];
  readonly hackathons: HackathonWindow[] = [];
  /** By index into monthStarts. */
  readonly hackathonByMonth: (HackathonWindow | undefined)[] = [];
  readonly teamPool: MonthlyPool;
  readonly coachPool: MonthlyPool;
  readonly communityPool: MonthlyPool;
  readonly botPool: MonthlyPool;
  readonly zonePicker = new WeightedPicker(ZONES, ZONES.map((zone) => zone[3]));

  private readonly random: Random;
  private readonly usedKeys = new Set<string>();
  private readonly usedEmails = new Set<string>();
  private readonly organisations: { name: string; domain: string }[] = [];

  constructor(settings: Settings) {
    this.settings = settings;
    this.random = new Random(settings.seed).fork('world');
    const { startMs, endMs } = settings;

    const start = new Date(startMs);
    const startMonth = start.getUTCFullYear() * 12 + start.getUTCMonth();
    const end = new Date(endMs);
    const endMonth = end.getUTCFullYear() * 12 + end.getUTCMonth();
    for (let month = startMonth; month <= endMonth; month++) this.monthStarts.push(Date.UTC(Math.floor(month / 12), month % 12, 1));

    this.projectPicker = this.buildProjects();
    this.buildOrganisations();
    this.buildPeople();
    this.buildMilestones(startMonth, endMonth + 2);
    this.buildHackathons(startMonth, endMonth);

    this.usedKeys.clear();
    this.usedEmails.clear();
    const pools = this.buildPools();
    this.teamPool = pools.team;
    this.coachPool = pools.coach;
    this.communityPool = pools.community;
    this.botPool = pools.bot;
  }

  /** A time in [start, end] at quantile q of the growing contribution rate (density ∝ GROWTH^x). */
  timeAt(quantile: number): number {
    const x = Math.log(1 + quantile * (GROWTH - 1)) / GROWTH_LOG;
    return Math.round(this.settings.startMs + x * (this.settings.endMs - this.settings.startMs));
  }

  monthOf(ms: number): number {
    const starts = this.monthStarts;
    if (ms < (starts[0] as number)) return 0;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if ((starts[middle] as number) <= ms) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /**
   * The milestone whose start..due days contain an instant in [start, end]: due on the 17th, so from the 18th
   * on it is next month's.
   */
  milestoneAt(ms: number): Milestone | undefined {
    const month = this.monthOf(ms);
    const dayOfMonth = Math.floor((ms - (this.monthStarts[month] as number)) / DAY) + 1;
    return this.milestones[month + (dayOfMonth >= 18 ? 1 : 0)];
  }

  hackathonAt(ms: number, month: number): HackathonWindow | undefined {
    const window = this.hackathonByMonth[month];
    return window && ms >= window.from && ms < window.to ? window : undefined;
  }

  private buildProjects(): WeightedPicker<number> {
    const weights: number[] = [];
    for (let i = 0; i < this.settings.projects; i++) {
      const template = PROJECT_TEMPLATES[i] ?? {
        path: `acme/component-${i + 1}`,
        name: `Acme component ${i + 1}`,
        weight: 2,
        branch: 'main',
        groups: ['group::integrations'],
        areas: ['API client', 'configuration', 'installer'],
      };
      const ref = `gitlab:${template.path}`;
      const webUrl = `https://gitlab.com/${template.path}`;
      this.projects.push({ ref, path: template.path, webUrl, branch: template.branch, docs: template.docs ?? false, groups: template.groups, areas: template.areas });
      weights.push(template.weight);
      const record: ProjectRecord = {
        type: 'project',
        platform: 'gitlab',
        path: template.path,
        external_id: String(278964 + i * 7919),
        name: template.name,
        web_url: webUrl,
        default_branch: template.branch,
        monitored: true,
      };
      this.records.push(record);
    }
    return new WeightedPicker(
      this.projects.map((_, index) => index),
      weights,
    );
  }

  private buildOrganisations(): void {
    const random = this.random;
    const wanted = Math.max(3, Math.round(this.settings.people * 0.02));
    const names = new Set<string>([ACME.name]);
    this.records.push({ type: 'organisation', name: ACME.name, domains: [ACME.domain] } satisfies OrganisationRecord);
    for (let i = 0; i < wanted; i++) {
      // A few are subsidiaries: the parent's brand in another country, written after the parent.
      const lastChance = i === wanted - 1 && !this.records.some((record) => record.type === 'organisation' && record.parent);
      const parent = this.organisations.length > 0 && (random.chance(0.06) || lastChance) ? random.pick(this.organisations) : undefined;
      let base = parent ? parent.name.replace(/ (Inc\.|GmbH|Ltd|AG|SAS|BV)$/, '') : `${random.pick(ORGANISATION_WORDS)} ${random.pick(ORGANISATION_KINDS)}`;
      let [legal, tld] = random.pick(LEGAL_FORMS);
      let name = legal ? `${base} ${legal}` : base;
      for (let attempt = 0; names.has(name); attempt++) {
        if (attempt > 8) base = `${random.pick(ORGANISATION_WORDS)} ${random.pick(ORGANISATION_KINDS)} ${attempt}`;
        [legal, tld] = random.pick(LEGAL_FORMS);
        name = legal ? `${base} ${legal}` : base;
      }
      names.add(name);
      const domain = `${asciiSlug(base)}.${tld}`;
      const record: OrganisationRecord = { type: 'organisation', name, domains: [domain] };
      if (random.chance(0.4)) record.arr = Math.round(Math.min(25_000_000, random.pareto(12_000, 0.9)) / 100) * 100;
      if (parent) record.parent = parent.name;
      this.organisations.push({ name, domain });
      this.records.push(record);
    }
  }

  private uniqueKey(first: string, last: string): string {
    const random = this.random;
    const f = asciiSlug(first);
    const l = asciiSlug(last).replace(/-/g, '');
    const style = random.int(0, 5);
    let key =
      style === 0 ? `${f}${l}` : style === 1 ? `${f}.${l}` : style === 2 ? `${f[0]}${l}` : style === 3 ? `${f}_${l}` : style === 4 ? `${f}${random.int(1, 99)}` : `${l}-${f}`;
    while (this.usedKeys.has(key)) key = `${key.replace(/\d+$/, '')}${random.int(2, 9999)}`;
    this.usedKeys.add(key);
    return key;
  }

  private uniqueEmail(localPart: string, domain: string, fallback: string): string {
    let email = `${localPart}@${domain}`;
    if (this.usedEmails.has(email)) email = `${fallback}@${domain}`;
    for (let n = 2; this.usedEmails.has(email); n++) email = `${fallback}${n}@${domain}`;
    this.usedEmails.add(email);
    return email;
  }

  private buildPeople(): void {
    const random = this.random;
    const { startMs, endMs, people: total } = this.settings;
    const bots = Math.max(3, Math.round(total * 0.01));
    const team = Math.max(4, Math.round(total * 0.15));
    const roleWeights = TEAM_ROLES.map((role) => role[3]);

    // Identities, affiliations and memberships are written after all people, in that order.
    const identities: IdentityRecord[] = [];
    const affiliations: AffiliationRecord[] = [];
    const memberships: TeamMembershipRecord[] = [];
    const affiliate = (person: Person, organisation: string, from: number, to: number | null) => {
      const record: AffiliationRecord = { type: 'affiliation', person: person.key, organisation, valid_from: isoDay(from), source: 'import' };
      if (to !== null && to < endMs) record.valid_to = isoDay(Math.max(to, from + DAY));
      affiliations.push(record);
    };

    for (let i = 0; i < bots; i++) {
      const named = NAMED_BOTS[i];
      const key = named ? named[0] : `project-${1000 + i * 37}-bot`;
      const name = named ? named[1] : `Project access token bot ${i}`;
      this.usedKeys.add(key);
      const from = named && i < 3 ? startMs : this.timeAt(random.next());
      const weight = i === RENOVATE_BOT ? 45 : i === RELEASE_BOT ? 18 : i === TRIAGE_BOT ? 0.5 : random.float(0.3, 3);
      const person: Person = {
        key, name, category: 'bot', email: `${key}@noreply.acme.com`, offsetMinutes: 0, weight, discipline: null,
        memberships: [], communityWindows: [{ from, to: endMs + 1 }],
      };
      this.people.push(person);
      this.records.push({ type: 'person', key, name, bot: true } satisfies PersonRecord);
      identities.push({ type: 'identity', platform: 'gitlab', kind: 'username', value: key, person: key, verified: true, display_name: name });
    }

    const humans = total - bots;
    for (let i = 0; i < humans; i++) {
      const first = random.pick(FIRST_NAMES);
      const last = random.pick(LAST_NAMES);
      const name = `${first} ${last}`;
      const key = this.uniqueKey(first, last);
      const zone = random.chance(0.88) ? this.zonePicker.pick(random) : undefined;
      const isTeam = i < team;
      const person: Person = {
        key, name, category: isTeam ? 'team' : 'community', email: '', offsetMinutes: zone ? zone[2] : 0, weight: 1,
        discipline: null, memberships: [], communityWindows: [],
      };
      const localPart = `${asciiSlug(first)}.${asciiSlug(last).replace(/-/g, '')}`;
      let workOrganisation: string | undefined;

      if (isTeam) {
        const role = random.weighted(TEAM_ROLES, roleWeights);
        person.discipline = role[0];
        person.weight = random.logNormal(1, 0.6);
        // Some were on the team before the data starts; the rest join as the company grows.
        const joined = dayStart(random.chance(0.2) ? startMs - random.float(0, 3 * YEAR) : this.timeAt(random.next() * 0.97));
        let left = random.chance(0.25) ? dayStart(joined + random.logNormal(2.5 * YEAR, 0.6)) : Number.POSITIVE_INFINITY;
        if (left >= endMs || left <= joined + 30 * DAY) left = Number.POSITIVE_INFINITY;
        const coach = role[1] === 'Contributor Success Engineer' || random.chance(0.3);
        const roles = coach ? [{ role: 'coach', specialty: role[0] }] : [];
        person.memberships.push({ from: joined, to: left, coach });
        memberships.push(membershipRecord(key, joined, left, role[1], role[2], roles));
        affiliate(person, ACME.name, joined, Number.isFinite(left) ? left : null);
        if (random.chance(0.2)) {
          // Hired from the community: contributions before joining count as wider community.
          const before = Math.max(startMs, joined - random.logNormal(8 * MONTH, 0.7));
          if (before < joined - 7 * DAY) person.communityWindows.push({ from: before, to: joined });
          if (random.chance(0.4) && this.organisations.length > 0) {
            affiliate(person, random.pick(this.organisations).name, dayStart(before - random.float(0, YEAR)), joined);
          }
        }
        if (Number.isFinite(left)) {
          if (random.chance(0.3)) person.communityWindows.push({ from: left, to: Math.min(endMs + 1, left + random.logNormal(6 * MONTH, 0.8)) });
          const rejoined = dayStart(left + random.logNormal(YEAR, 0.5));
          if (random.chance(0.15) && rejoined < endMs - 30 * DAY) {
            const rejoinCoach = random.chance(0.3);
            person.memberships.push({ from: rejoined, to: Number.POSITIVE_INFINITY, coach: rejoinCoach });
            memberships.push(membershipRecord(key, rejoined, Number.POSITIVE_INFINITY, role[1], role[2], rejoinCoach ? [{ role: 'coach', specialty: role[0] }] : []));
            affiliate(person, ACME.name, rejoined, null);
          }
        }
        person.email = this.uniqueEmail(localPart, ACME.domain, key);
      } else {
        // Pareto with alpha near 1: most people contribute once or twice, a few contribute for years.
        person.weight = Math.min(5000, random.pareto(1, 0.9));
        const from = this.timeAt(random.next());
        const length = random.logNormal(4 * MONTH, 1.2) * person.weight ** 0.35;
        person.communityWindows.push({ from, to: Math.min(endMs + 1, from + Math.max(DAY, length)) });
        if (random.chance(0.4) && this.organisations.length > 0) {
          // The largest organisations employ many contributors.
          const organisation = this.organisations[random.zipf(this.organisations.length, 1.05)] as { name: string; domain: string };
          const since = dayStart(from - random.float(0, 2 * YEAR));
          if (random.chance(0.2)) {
            const switched = dayStart(from + random.float(0.2, 0.9) * Math.max(2 * DAY, Math.min(endMs, from + length) - from));
            const next = random.pick(this.organisations);
            if (next.name !== organisation.name && switched > since && switched < endMs) {
              affiliate(person, organisation.name, since, switched);
              affiliate(person, next.name, switched, null);
              workOrganisation = next.domain;
            } else {
              affiliate(person, organisation.name, since, null);
              workOrganisation = organisation.domain;
            }
          } else {
            affiliate(person, organisation.name, since, random.chance(0.15) ? dayStart(from + length + random.float(DAY, YEAR)) : null);
            workOrganisation = organisation.domain;
          }
        }
        const usesWorkMail = workOrganisation !== undefined && random.chance(0.5);
        person.email = this.uniqueEmail(localPart, usesWorkMail ? (workOrganisation as string) : random.pick(FREE_MAIL), key);
      }

      this.people.push(person);
      const record: PersonRecord = { type: 'person', key, name, bot: false };
      if (zone) {
        record.country = zone[0];
        record.timezone = zone[1];
      }
      this.records.push(record);
      identities.push({ type: 'identity', platform: 'gitlab', kind: 'username', value: key, person: key, verified: false, display_name: name });
      identities.push({ type: 'identity', platform: 'gitlab', kind: 'email', value: person.email, person: key, verified: random.chance(0.7), display_name: name });
      if (random.chance(0.2)) {
        const other = this.uniqueEmail(localPart, workOrganisation && !person.email.endsWith(workOrganisation) ? workOrganisation : random.pick(FREE_MAIL), key);
        identities.push({ type: 'identity', platform: 'gitlab', kind: 'email', value: other, person: key, verified: false, display_name: name });
      }

      if (!isTeam && random.chance(0.005)) {
        // A second account of the same person, already merged into the first.
        const aliasKey = this.uniqueKey(first, `${last}work`);
        const window = person.communityWindows[0] as Interval;
        this.people.push({ ...person, key: aliasKey, email: '', weight: person.weight * 0.2, communityWindows: [{ ...window }] });
        this.records.push({ type: 'person', key: aliasKey, name, bot: false, merged_into: key } satisfies PersonRecord);
        identities.push({ type: 'identity', platform: 'gitlab', kind: 'username', value: aliasKey, person: aliasKey, verified: false, display_name: name });
      }
    }
    for (const person of this.people) if (!person.email) person.email = `${person.key}@users.noreply.gitlab.com`;
    // A loop, not push(...list): spreading 100k+ arguments overflows the stack.
    for (const list of [identities, affiliations, memberships]) for (const record of list) this.records.push(record);
  }

  private buildMilestones(firstMonth: number, lastMonth: number): void {
    const { endMs } = this.settings;
    for (let month = firstMonth; month <= lastMonth; month++) {
      const year = Math.floor(month / 12);
      const monthOfYear = month % 12;
      // Titles as GitLab's: a new major every twelve months; the first month is x.7 (GitLab 11.7 was January 2019).
      const sequence = month - firstMonth + 7;
      const title = `${11 + Math.floor(sequence / 12)}.${sequence % 12}`;
      const startMs = Date.UTC(year, monthOfYear - 1, 18);
      const dueMs = Date.UTC(year, monthOfYear, 17);
      const releasedMs = Date.UTC(year, monthOfYear, 22, 18, 0, 0);
      this.milestones.push({ title, startMs, dueMs });
      const record: MilestoneRecord = {
        type: 'milestone',
        scope: MILESTONE_SCOPE,
        title,
        start_date: isoDay(startMs),
        due_date: isoDay(dueMs),
        state: dueMs < endMs ? 'closed' : 'active',
        external_id: String(1_000 + month - firstMonth),
      };
      if (releasedMs <= endMs) record.released_at = isoInstant(releasedMs);
      this.records.push(record);
    }
  }

  private buildHackathons(firstMonth: number, lastMonth: number): void {
    for (let month = firstMonth; month <= lastMonth; month++) {
      if (month % 3 !== 0) continue;
      const year = Math.floor(month / 12);
      const from = Date.UTC(year, month % 12, 8);
      const window = { from, to: from + 7 * DAY, name: `Hackathon ${year} Q${(month % 12) / 3 + 1}` };
      this.hackathons.push(window);
      this.hackathonByMonth[month - firstMonth] = window;
    }
  }

  private buildPools(): { team: MonthlyPool; coach: MonthlyPool; community: MonthlyPool; bot: MonthlyPool } {
    const months = this.monthStarts.length;
    const empty = () => Array.from({ length: months }, () => [] as number[]);
    const team = { members: empty(), weights: empty() };
    const coach = { members: empty(), weights: empty() };
    const community = { members: empty(), weights: empty() };
    const bot = { members: empty(), weights: empty() };
    const add = (pool: { members: number[][]; weights: number[][] }, month: number, person: number, weight: number) => {
      (pool.members[month] as number[]).push(person);
      (pool.weights[month] as number[]).push(weight);
    };
    const monthEnd = (m: number) => (m + 1 < months ? (this.monthStarts[m + 1] as number) : this.settings.endMs + 1);

    this.people.forEach((person, index) => {
      for (const membership of person.memberships) {
        for (let m = this.monthOf(membership.from); m < months && (this.monthStarts[m] as number) < membership.to; m++) {
          const middle = ((this.monthStarts[m] as number) + monthEnd(m)) / 2;
          // Counted in the months whose middle the membership covers (a month straddling a rejoin counts once).
          if (middle < membership.from || middle >= membership.to) continue;
          add(team, m, index, person.weight);
          if (membership.coach) add(coach, m, index, 1);
        }
      }
      let windowMonths = 0;
      for (const window of person.communityWindows) windowMonths += Math.max(1, (window.to - window.from) / MONTH);
      for (const window of person.communityWindows) {
        for (let m = this.monthOf(window.from); m < months && (this.monthStarts[m] as number) < window.to; m++) {
          if (person.category === 'bot') add(bot, m, index, person.weight);
          else if (!isTeamAt(person, ((this.monthStarts[m] as number) + monthEnd(m)) / 2)) add(community, m, index, person.weight / windowMonths);
        }
      }
    });
    return {
      team: new MonthlyPool(team.members, team.weights),
      coach: new MonthlyPool(coach.members, coach.weights),
      community: new MonthlyPool(community.members, community.weights),
      bot: new MonthlyPool(bot.members, bot.weights),
    };
  }
}

function membershipRecord(
  person: string,
  from: number,
  to: number,
  title: string,
  department: string,
  roles: { role: string; specialty: string }[],
): TeamMembershipRecord {
  const record: TeamMembershipRecord = { type: 'team_membership', person, valid_from: isoDay(from), title, department, roles, source: 'import' };
  if (Number.isFinite(to)) record.valid_to = isoDay(to);
  return record;
}

// ——— merge requests, streamed ———

interface Bundle {
  createdMs: number;
  /** Records in file order: the linked issue (if any), the MR, then its comments, reviews, label events and commits. */
  records: AnyRecord[];
  /** Activities the bundle implies, written later in the file. */
  activities: ActivityRecord[];
}

/** Numbering starts here so ids look like a long-lived instance's, not 1, 2, 3. */
const FIRST_MR_ID = 20_000_000;
const FIRST_ISSUE_ID = 40_000_000;
const FIRST_COMMENT_ID = 300_000_000;

/**
 * Builds the i-th merge request and what comes with it. Everything it draws comes from its own stream, so a
 * second factory with the same seed rebuilds identical bundles (the activity pass relies on that).
 */
class MergeRequestFactory {
  private readonly world: World;
  private readonly random: Random;
  private readonly mrNumbers: Int32Array;
  private readonly issueNumbers: Int32Array;
  private readonly authored: Int32Array;
  private readonly triageBot: string;
  private nextIssueId = FIRST_ISSUE_ID;
  private branch = '';
  nextCommentId = FIRST_COMMENT_ID;
  nextCommitCounter = 0;

  constructor(world: World) {
    this.world = world;
    this.random = new Random(world.settings.seed).fork('merge-requests');
    this.mrNumbers = new Int32Array(world.projects.length);
    this.issueNumbers = new Int32Array(world.projects.length);
    this.authored = new Int32Array(world.people.length);
    this.triageBot = (world.people[TRIAGE_BOT] as Person).key;
  }

  private pickAuthor(createdMs: number, month: number): number {
    const { world, random } = this;
    const x = (createdMs - world.settings.startMs) / (world.settings.endMs - world.settings.startMs);
    const hackathon = world.hackathonAt(createdMs, month) !== undefined;
    const roll = random.next();
    const botShare = 0.055;
    const communityShare = hackathon ? 0.55 : 0.27 + 0.1 * x;
    const order: MonthlyPool[] =
      roll < botShare
        ? [world.botPool, world.teamPool, world.communityPool]
        : roll < botShare + communityShare
          ? [world.communityPool, world.teamPool, world.botPool]
          : [world.teamPool, world.communityPool, world.botPool];
    for (const pool of order) {
      const person = pool.pick(month, random);
      if (person >= 0) return person;
    }
    return TRIAGE_BOT;
  }

  /**
   * A team member at the instant, not `exclude`; coaches preferred for community MRs. -1 if none turns up.
   * The pools are by month, so people who join or leave within the month are checked against the instant.
   */
  private pickTeamMember(atMs: number, exclude: number, preferCoach: boolean): number {
    const { world, random } = this;
    const month = world.monthOf(atMs);
    for (let attempt = 0; attempt < 6; attempt++) {
      const pool = preferCoach && attempt < 3 && !world.coachPool.empty ? world.coachPool : world.teamPool;
      const person = pool.pick(month, random);
      if (person >= 0 && person !== exclude && isTeamAt(world.people[person] as Person, atMs)) return person;
    }
    return -1;
  }

  /** The title; its branch name is left in `this.branch` (slugged from the parts: slugging titles is slow). */
  private title(type: WorkType | null, project: Project, authorIndex: number): string {
    const random = this.random;
    const area = random.pick(project.areas);
    if (authorIndex === RENOVATE_BOT) {
      const name = random.pick(PACKAGES);
      const major = random.int(1, 9);
      this.branch = `renovate/${slugOf(name)}-${major}.x`;
      return `Update dependency ${name} to v${major}.${random.int(0, 30)}.${random.int(0, 12)}`;
    }
    if (authorIndex === RELEASE_BOT) {
      const version = `${random.int(11, 19)}.${random.int(0, 11)}.${random.int(0, 6)}`;
      this.branch = `release-tools/${version}`;
      return `Update CHANGELOG.md for ${version}`;
    }
    if (project.docs) {
      if (random.chance(0.5)) {
        const feature = random.pick(FEATURES);
        this.branch = `docs-${slugOf(feature)}`;
        return `Document ${feature} in the ${area}`;
      }
      const bug = random.pick(BUGS);
      this.branch = `docs-fix-${slugOf(bug)}-${slugOf(area)}`;
      return `Fix ${bug} in the ${area}`;
    }
    switch (type) {
      case 'feature': {
        const feature = random.pick(FEATURES);
        const add = random.chance(0.5);
        this.branch = `${add ? 'add' : 'support'}-${slugOf(feature)}-${slugOf(area)}`;
        return add ? `Add ${feature} to ${area}` : `Support ${feature} in ${area}`;
      }
      case 'bug':
        if (random.chance(0.6)) {
          const bug = random.pick(BUGS);
          this.branch = `fix-${slugOf(bug)}-in-${slugOf(area)}`;
          return `Fix ${bug} in ${area}`;
        } else {
          const condition = random.pick(CONDITIONS);
          this.branch = `fix-error-when-${slugOf(condition)}`;
          return `Fix error when ${condition}`;
        }
      default:
        if (random.chance(0.5)) {
          this.branch = `refactor-${slugOf(area)}`;
          return `Refactor ${area} service`;
        }
        this.branch = `test-coverage-${slugOf(area)}`;
        return `Improve test coverage for ${area}`;
    }
  }

  /**
   * The index-th of `total` merge requests. When `recording` is false only the activities are built (the
   * replay pass); every random draw happens either way, so both modes see the same merge requests.
   */
  build(index: number, total: number, recording: boolean): Bundle {
    const { world, random } = this;
    const { startMs, endMs } = world.settings;
    const records: AnyRecord[] = [];
    const activities: ActivityRecord[] = [];

    // Stratified along the growth curve: MRs come out in creation order and numbers rise with time.
    const createdMs = world.timeAt((index + random.next()) / total);
    const month = world.monthOf(createdMs);
    const authorIndex = this.pickAuthor(createdMs, month);
    const author = world.people[authorIndex] as Person;
    const isBot = author.category === 'bot';
    const isTeam = !isBot && isTeamAt(author, createdMs);
    const isCommunity = !isBot && !isTeam;
    const category: Category = isBot ? 'bot' : isTeam ? 'team' : 'community';
    const firstContribution = isCommunity && (this.authored[authorIndex] as number) === 0;
    this.authored[authorIndex] = (this.authored[authorIndex] as number) + 1;

    const projectIndex =
      author.discipline === 'docs' && random.chance(0.8) ? Math.min(2, world.projects.length - 1) : world.projectPicker.pick(random);
    const project = world.projects[projectIndex] as Project;
    const number = (this.mrNumbers[projectIndex] as number) + 1;
    this.mrNumbers[projectIndex] = number;

    const typeRoll = random.next();
    let type: WorkType | null = isBot
      ? 'maintenance'
      : project.docs
        ? typeRoll < 0.2 ? 'feature' : typeRoll < 0.35 ? 'bug' : 'maintenance'
        : typeRoll < (isCommunity ? 0.3 : 0.36) ? 'feature' : typeRoll < 0.68 ? 'bug' : 'maintenance';
    if (isCommunity && random.chance(0.1)) type = null; // not triaged yet

    // Outcome: merged, closed, or still open (abandoned, or not resolved by the end of the data).
    const fate = random.next();
    const mergeShare = category === 'team' ? 0.8 : category === 'community' ? 0.6 : 0.72;
    const closeShare = category === 'team' ? 0.11 : category === 'community' ? 0.22 : 0.22;
    const medianDays = category === 'team' ? 2.5 : category === 'community' ? 9 : 0.8;
    let resolvedMs = Math.round(createdMs + Math.max(10 * MINUTE, random.logNormal(medianDays * DAY, 1.3)));
    let state: MergeRequestRecord['state'] = fate < mergeShare ? 'merged' : fate < mergeShare + closeShare ? 'closed' : 'opened';
    // Recent MRs are more often still open than the resolution times alone would say: review queues.
    if (resolvedMs > endMs || random.chance(0.6 * Math.exp(-(endMs - createdMs) / (120 * DAY)))) state = 'opened';
    if (state === 'opened') resolvedMs = Number.POSITIVE_INFINITY;
    const lastMs = Math.min(resolvedMs, endMs);

    // Drafts become ready part-way; an open MR may still be a draft.
    let readyMs: number | null = createdMs;
    if (!isBot && random.chance(isTeam ? 0.25 : 0.2)) {
      const delay = random.logNormal(1.5 * DAY, 1);
      readyMs = Math.round(createdMs + (state === 'opened' ? delay : Math.min(delay, (resolvedMs - createdMs) * 0.6)));
      if (readyMs > endMs) readyMs = null;
    }
    const draft = readyMs === null;

    const reviewerIndex = isBot && random.chance(0.5) ? -1 : this.pickTeamMember(createdMs, authorIndex, isCommunity);
    const reviewer = reviewerIndex >= 0 ? (world.people[reviewerIndex] as Person) : undefined;
    const reviewers = reviewer ? [reviewer.key] : [];
    if (reviewer && isTeam && random.chance(0.2)) {
      const second = this.pickTeamMember(createdMs, authorIndex, false);
      if (second >= 0 && second !== reviewerIndex) reviewers.push((world.people[second] as Person).key);
    }

    let reviewMs: number | null = null;
    if (reviewer && readyMs !== null && (state !== 'closed' || random.chance(0.5))) {
      const latency = random.logNormal(category === 'community' ? 2 * DAY : 5 * HOUR, 1.2);
      const candidate = Math.round(readyMs + latency);
      if (state === 'opened') reviewMs = candidate <= endMs ? candidate : null;
      else reviewMs = Math.max(readyMs, Math.min(candidate, resolvedMs - MINUTE));
    }

    const hackathon = isCommunity ? world.hackathonAt(createdMs, month) : undefined;
    const idleSinceMs = Math.max(createdMs, reviewMs ?? createdMs);
    const idleLabel =
      isCommunity && state === 'opened' && endMs - idleSinceMs > 28 * DAY ? (endMs - idleSinceMs > 120 * DAY ? 'stale' : 'idle') : null;
    const groupLabel = !isBot && random.chance(0.65) ? random.pick(project.groups) : null;
    // Community MRs are assigned to their author (docs/workflows.md); sometimes the coach takes one on too.
    const coachAssigned = isCommunity && reviewer !== undefined && random.chance(0.15);

    let milestone: Milestone | undefined;
    if (state === 'merged' && random.chance(0.92)) milestone = world.milestoneAt(resolvedMs);
    else if (state === 'opened' && random.chance(0.4)) milestone = world.milestoneAt(endMs);
    else if (state === 'closed' && random.chance(0.1)) milestone = world.milestoneAt(createdMs);

    let title = this.title(type, project, authorIndex);
    const sourceBranch = isTeam ? `${author.key}-${this.branch}` : this.branch;
    if (draft) title = `Draft: ${title}`;

    // A linked issue, opened before the MR and closed by its merge.
    let issueNumber = 0;
    if (!isBot && type !== 'maintenance' && random.chance(0.1)) {
      issueNumber = (this.issueNumbers[projectIndex] as number) + 1;
      this.issueNumbers[projectIndex] = issueNumber;
      const issueId = this.nextIssueId++;
      let openedMs = Math.round(createdMs - random.logNormal(20 * DAY, 1.2));
      if (openedMs < startMs) openedMs = Math.round(startMs + random.next() * (createdMs - startMs));
      const issueAuthorIndex = random.chance(0.5) ? authorIndex : this.pickTeamMember(openedMs, -1, false);
      const issueAuthor = (world.people[issueAuthorIndex] ?? author) as Person;
      const issueTitle = this.title(type, project, -1);
      const weight = random.chance(0.5) ? random.int(0, 5) : null;
      if (recording) {
        const issueClosedMs = Math.min(endMs, resolvedMs + SECOND);
        const issue: IssueRecord = {
          type: 'issue',
          project: project.ref,
          number: issueNumber,
          title: issueTitle,
          state: state === 'merged' ? 'closed' : 'opened',
          author: issueAuthor.key,
          created_at: isoInstant(openedMs),
          updated_at: isoInstant(state === 'merged' ? issueClosedMs : lastMs),
          labels: type ? [`type::${type}`] : [],
          assignees: [author.key],
          web_url: `${project.webUrl}/-/issues/${issueNumber}`,
          external_id: String(issueId),
          origin: 'api',
        };
        if (state === 'merged') issue.closed_at = isoInstant(issueClosedMs);
        if (milestone) {
          issue.milestone = milestone.title;
          issue.milestone_scope = MILESTONE_SCOPE;
        }
        if (weight !== null) issue.weight = weight;
        records.push(issue);
      }
      activities.push(activity('issue_opened', issueAuthor.key, openedMs, project.ref, { type: 'issue', project: project.ref, number: issueNumber }));
    }

    let mergeRequest: MergeRequestRecord | undefined;
    if (recording) {
      const labels: string[] = [];
      if (type) labels.push(`type::${type}`);
      if (groupLabel) labels.push(groupLabel);
      if (project.docs) labels.push('documentation');
      if (isCommunity) labels.push('Community contribution');
      if (firstContribution) labels.push('1st contribution');
      if (hackathon) labels.push('Hackathon');
      if (isCommunity && state === 'opened') labels.push(draft ? 'workflow::in dev' : 'workflow::ready for review');
      if (idleLabel) labels.push(idleLabel);
      if (isBot) labels.push('dependencies');
      mergeRequest = {
        type: 'merge_request',
        project: project.ref,
        number,
        title,
        state,
        author: author.key,
        created_at: isoInstant(createdMs),
        updated_at: '',
        labels,
        draft,
        reviewers,
        assignees: isBot ? [] : coachAssigned ? [author.key, (reviewer as Person).key] : [author.key],
        linked_issues: issueNumber ? [issueNumber] : [],
        source_branch: sourceBranch,
        target_branch: project.branch,
        web_url: `${project.webUrl}/-/merge_requests/${number}`,
        external_id: String(FIRST_MR_ID + index),
        origin: 'api',
      };
      if (type) mergeRequest.work_type = type;
      if (milestone) {
        mergeRequest.milestone = milestone.title;
        mergeRequest.milestone_scope = MILESTONE_SCOPE;
      }
      if (readyMs !== null) mergeRequest.ready_for_review_at = isoInstant(readyMs);
      if (reviewMs !== null) mergeRequest.first_review_at = isoInstant(reviewMs);
      records.push(mergeRequest);
    }
    const mrObject = { type: 'merge_request', project: project.ref, number } as const;
    activities.push(activity('mr_opened', author.key, createdMs, project.ref, mrObject));

    let updatedMs = Math.max(createdMs, readyMs ?? 0, reviewMs ?? 0);
    const comment = (personKey: string, ms: number, body: string) => {
      const external_id = String(this.nextCommentId++);
      if (recording) {
        const record: CommentRecord = {
          type: 'comment',
          project: project.ref,
          target: { type: 'merge_request', number },
          external_id,
          author: personKey,
          created_at: isoInstant(ms),
          system: false,
          body,
        };
        records.push(record);
      }
      activities.push(activity('mr_commented', personKey, ms, project.ref, { type: 'comment', project: project.ref, external_id }));
      updatedMs = Math.max(updatedMs, ms);
    };
    const labelEvent = (label: string, actor: string, ms: number) => {
      if (!recording) return;
      const record: LabelEventRecord = {
        type: 'label_event',
        project: project.ref,
        target: { type: 'merge_request', number },
        label,
        action: 'add',
        actor,
        occurred_at: isoInstant(ms),
      };
      records.push(record);
    };
    const review = (kind: ReviewRecord['kind'], reviewerKey: string, ms: number) => {
      if (recording) {
        records.push({ type: 'review', project: project.ref, merge_request: number, reviewer: reviewerKey, kind, occurred_at: isoInstant(ms) } satisfies ReviewRecord);
      }
      if (kind === 'reviewed') activities.push(activity('mr_reviewed', reviewerKey, ms, project.ref, mrObject));
      if (kind === 'approved') activities.push(activity('mr_approved', reviewerKey, ms, project.ref, mrObject));
    };

    // The triage bot welcomes community MRs and labels them a few minutes after they open.
    if (isCommunity) {
      const triagedMs = createdMs + random.int(1, 10) * MINUTE + random.int(0, 59_999);
      if (triagedMs <= lastMs && random.chance(0.5)) {
        comment(this.triageBot, triagedMs, `Thanks for your contribution, @${author.key}! A coach will review it soon.`);
        if (random.chance(0.5)) labelEvent('Community contribution', this.triageBot, triagedMs);
        if (firstContribution) labelEvent('1st contribution', this.triageBot, triagedMs);
        if (hackathon) labelEvent('Hackathon', this.triageBot, triagedMs);
      }
      if (readyMs !== null && readyMs > createdMs && random.chance(0.3)) labelEvent('workflow::ready for review', author.key, readyMs);
      if (idleLabel) labelEvent(idleLabel, this.triageBot, idleSinceMs + 28 * DAY);
    }

    if (reviewer && readyMs !== null) {
      if (isCommunity ? random.chance(0.8) : random.chance(0.1)) review('review_requested', reviewer.key, readyMs);
      if (reviewMs !== null) {
        if (isCommunity ? random.chance(0.7) : random.chance(0.2)) review(state === 'merged' ? 'approved' : 'reviewed', reviewer.key, reviewMs);
        if (isCommunity ? random.chance(0.35) : random.chance(0.08)) comment(reviewer.key, reviewMs, random.pick(REVIEW_NOTES));
        if (isCommunity && random.chance(0.15)) {
          const replyMs = Math.round(reviewMs + random.logNormal(DAY, 1));
          const reply = random.pick(AUTHOR_REPLIES);
          if (replyMs < lastMs) comment(author.key, replyMs, reply);
        }
      }
    }

    if (state === 'merged') {
      const reviewerMerges = reviewer !== undefined && random.chance(0.7) && isTeamAt(reviewer, resolvedMs);
      const merger = world.people[reviewerMerges ? reviewerIndex : this.pickTeamMember(resolvedMs, authorIndex, false)];
      if (mergeRequest) {
        mergeRequest.merged_at = isoInstant(resolvedMs);
        if (merger) mergeRequest.merged_by = merger.key;
        mergeRequest.on_default_branch = true;
      }
      activities.push(activity('mr_merged', author.key, resolvedMs, project.ref, mrObject));
      if (issueNumber) activities.push(activity('issue_closed', author.key, Math.min(endMs, resolvedMs + SECOND), project.ref, { type: 'issue', project: project.ref, number: issueNumber }));

      if (random.chance(0.17)) {
        const commits = random.chance(0.2) ? 2 : 1;
        for (let c = 0; c < commits; c++) this.commit(records, activities, recording, project, author, number, title, createdMs, resolvedMs, month);
      }
    } else if (state === 'closed') {
      if (mergeRequest) mergeRequest.closed_at = isoInstant(resolvedMs);
      activities.push(activity('mr_closed', author.key, resolvedMs, project.ref, mrObject));
    }
    updatedMs = Math.max(updatedMs, Number.isFinite(resolvedMs) ? resolvedMs : 0);
    if (state === 'opened') updatedMs = Math.min(endMs, updatedMs + random.int(0, 3 * DAY));
    if (mergeRequest) mergeRequest.updated_at = isoInstant(updatedMs);

    return { createdMs, records, activities };
  }

  private commit(
    records: AnyRecord[],
    activities: ActivityRecord[],
    recording: boolean,
    project: Project,
    author: Person,
    mergeRequest: number,
    subject: string,
    createdMs: number,
    mergedMs: number,
    month: number,
  ): void {
    const { world, random } = this;
    const sha = Random.hexOfCounter(this.nextCommitCounter++) + random.hex(32);
    const authoredMs = Math.max(world.settings.startMs, Math.round(createdMs - random.logNormal(3 * HOUR, 1.2)));
    const committedMs = Math.min(mergedMs, Math.round(authoredMs + random.float(0, 1) * (mergedMs - authoredMs)));
    const object = { type: 'commit', project: project.ref, sha } as const;
    activities.push(activity('commit_authored', author.key, authoredMs, project.ref, object));
    const coAuthor = author.category === 'community' && random.chance(0.06) ? world.people[world.communityPool.pick(month, random)] : undefined;
    const coAuthored = coAuthor !== undefined && coAuthor.key !== author.key;
    if (coAuthored) activities.push(activity('commit_co_authored', coAuthor.key, authoredMs, project.ref, object));
    if (!recording) return;
    const record: CommitRecord = {
      type: 'commit',
      project: project.ref,
      sha,
      author_name: author.name,
      author_email: author.email,
      authored_at: isoInstant(authoredMs, author.offsetMinutes),
      committer_name: author.name,
      committer_email: author.email,
      committed_at: isoInstant(committedMs, author.offsetMinutes),
      co_authors: coAuthored ? [{ name: coAuthor.name, email: coAuthor.email }] : [],
      author: author.key,
      merge_request: mergeRequest,
      subject: subject.replace(/^Draft: /, ''),
    };
    records.push(record);
  }
}

function activity(
  kind: ActivityRecord['kind'],
  person: string,
  ms: number,
  project: string | null,
  object: NonNullable<ActivityRecord['object']>,
  attributes?: Record<string, unknown>,
): ActivityRecord {
  const occurred_at = isoInstant(ms);
  const record: ActivityRecord = project
    ? { type: 'activity', kind, person, project, occurred_at, object }
    : { type: 'activity', kind, person, occurred_at, object };
  if (attributes) record.attributes = attributes;
  return record;
}

// ——— activities that no MR implies: chat, forum, translations, talks, comments and commits elsewhere ———

const FILLER_KINDS: readonly ActivityRecord['kind'][] = [
  'chat_message', 'chat_reply', 'forum_post', 'forum_reply', 'issue_commented', 'commit_authored', 'translation', 'event_talk',
];
const FILLER_WEIGHTS = [34, 22, 9, 13, 13, 5.5, 3.5, 0.05];

class FillerActivities {
  private readonly world: World;
  private readonly random: Random;
  private readonly total: number;
  private readonly kinds = new WeightedPicker(FILLER_KINDS, FILLER_WEIGHTS);
  private produced = 0;
  private nextMessage = 1;
  private nextCommentId: number;
  private nextCommitCounter: number;
  /** When the next filler happens; +Infinity once all are out. */
  nextMs: number;

  constructor(world: World, total: number, firstCommentId: number, firstCommitCounter: number) {
    this.world = world;
    this.random = new Random(world.settings.seed).fork('filler-activities');
    this.total = total;
    this.nextCommentId = firstCommentId;
    this.nextCommitCounter = firstCommitCounter;
    this.nextMs = this.timeOf(0);
  }

  private timeOf(index: number): number {
    return index < this.total ? this.world.timeAt((index + this.random.next()) / this.total) : Number.POSITIVE_INFINITY;
  }

  take(): ActivityRecord {
    const { world, random } = this;
    const ms = this.nextMs;
    this.produced++;
    this.nextMs = this.timeOf(this.produced);

    const month = world.monthOf(ms);
    // Chatter is flatter than MR authorship: many people who never open an MR still talk.
    let personIndex = random.chance(0.3)
      ? world.teamPool.pick(month, random)
      : random.chance(0.5)
        ? world.communityPool.pick(month, random)
        : world.communityPool.pickUniform(month, random);
    if (personIndex < 0) personIndex = world.teamPool.pickUniform(month, random);
    if (personIndex < 0) personIndex = world.communityPool.pickUniform(month, random);
    const person = (world.people[personIndex] ?? world.people[0]) as Person;

    const kind = this.kinds.pick(random);
    switch (kind) {
      case 'chat_message':
      case 'chat_reply':
        return activity(kind, person.key, ms, null, { type: 'message', key: `discord-${this.nextMessage++}` }, { channel: random.pick(CHAT_CHANNELS) });
      case 'forum_post':
      case 'forum_reply':
        return activity(kind, person.key, ms, null, { type: 'message', key: `forum-${this.nextMessage++}` });
      case 'issue_commented': {
        const project = world.projects[world.projectPicker.pick(random)] as Project;
        return activity(kind, person.key, ms, project.ref, { type: 'comment', project: project.ref, external_id: String(this.nextCommentId++) });
      }
      case 'commit_authored': {
        const project = world.projects[world.projectPicker.pick(random)] as Project;
        const sha = Random.hexOfCounter(this.nextCommitCounter++) + random.hex(32);
        return activity(kind, person.key, ms, project.ref, { type: 'commit', project: project.ref, sha });
      }
      case 'translation':
        return activity(kind, person.key, ms, null, { type: 'other', key: `crowdin-${this.nextMessage++}` }, { language: random.pick(LANGUAGES) });
      default: {
        // Talks are given at the latest hackathon (the rarest filler, so a linear search is fine).
        let event = 'Acme Commit';
        for (const hackathon of world.hackathons) if (hackathon.from <= ms) event = hackathon.name;
        return activity('event_talk', person.key, ms, null, { type: 'other', key: `talk-${this.nextMessage++}` }, { event });
      }
    }
  }
}

// ——— the stream ———

/** Every record of a synthetic community, in dependency order (see the file comment). */
export function* generateCommunity(options: CommunityOptions): Generator<AnyRecord> {
  const settings = resolveSettings(options);
  const world = new World(settings);
  yield* world.records;
  world.records.length = 0; // written; only the people and pools are needed from here on
  const total = settings.mergeRequests;

  const writer = new MergeRequestFactory(world);
  let derived = 0;
  for (let i = 0; i < total; i++) {
    const bundle = writer.build(i, total, true);
    for (const record of bundle.records) yield record;
    derived += bundle.activities.length;
  }

  // Second pass: the same bundles again, now for their activities, interleaved in time with the fillers.
  const replay = new MergeRequestFactory(world);
  const wanted = settings.activities;
  const fillers = new FillerActivities(world, Math.max(0, wanted - derived), writer.nextCommentId, writer.nextCommitCounter);
  const thinning = new Random(settings.seed).fork('activity-thinning');
  let seen = 0;
  let kept = 0;
  for (let i = 0; i < total; i++) {
    const bundle = replay.build(i, total, false);
    while (fillers.nextMs <= bundle.createdMs) yield fillers.take();
    for (const record of bundle.activities) {
      // Selection sampling (Knuth's algorithm S): exactly `wanted` of `derived`, each equally likely.
      if (derived <= wanted || thinning.next() * (derived - seen) < wanted - kept) {
        kept++;
        yield record;
      }
      seen++;
    }
  }
  while (fillers.nextMs !== Number.POSITIVE_INFINITY) yield fillers.take();
}

const BATCH_CHARS = 64 * 1024;

/**
 * JSON.stringify's output for the activities this module makes, about twice as fast: activities are most of
 * the file. It relies on their key order (see `activity`) and on every string in them being plain text that
 * JSON does not escape (keys, refs, ids and dates generated here); the tests compare it with JSON.stringify.
 */
function activityJson(record: ActivityRecord): string {
  let text = `{"type":"activity","kind":"${record.kind}","person":"${record.person as string}"`;
  if (record.project) text += `,"project":"${record.project}"`;
  text += `,"occurred_at":"${record.occurred_at}","object":`;
  const object = record.object as NonNullable<ActivityRecord['object']>;
  switch (object.type) {
    case 'merge_request':
    case 'issue':
      text += `{"type":"${object.type}","project":"${object.project as string}","number":${object.number}}`;
      break;
    case 'comment':
      text += `{"type":"comment","project":"${object.project as string}","external_id":"${object.external_id}"}`;
      break;
    case 'commit':
      text += `{"type":"commit","project":"${object.project as string}","sha":"${object.sha}"}`;
      break;
    default:
      text += `{"type":"${object.type}","key":"${object.key}"}`;
  }
  if (record.attributes) text += `,"attributes":${JSON.stringify(record.attributes)}`;
  return `${text}}`;
}

function* ndjsonBatches(options: CommunityOptions, counts: Record<string, number>): Generator<string> {
  let batch = '';
  for (const record of generateCommunity(options)) {
    batch += `${record.type === 'activity' ? activityJson(record) : JSON.stringify(record)}\n`;
    counts[record.type] = (counts[record.type] ?? 0) + 1;
    if (batch.length >= BATCH_CHARS) {
      yield batch;
      batch = '';
    }
  }
  if (batch) yield batch;
}

/** The NDJSON text in pieces of about 64 KB, each a run of whole lines ending in '\n'. */
export function* generateNdjsonLines(options: CommunityOptions): Generator<string> {
  yield* ndjsonBatches(options, {});
}

/**
 * Let a stream buffer this much before waiting for 'drain'. File streams say "full" at 16 KB, and waiting
 * after every 64 KB batch costs a third of the run time; the buffer stays bounded either way.
 */
const WRITE_BUFFER_BYTES = 1 << 20;

/**
 * Writes the NDJSON to a stream, honouring backpressure. The stream is left open (it may be stdout); the
 * caller ends it.
 */
export async function writeCommunity(options: CommunityOptions, stream: NodeJS.WritableStream): Promise<WriteSummary> {
  const counts: Record<string, number> = {};
  let failure: unknown;
  const onError = (error: unknown) => {
    failure ??= error;
  };
  stream.on('error', onError);
  try {
    for (const batch of ndjsonBatches(options, counts)) {
      if (failure) throw failure;
      if (!stream.write(batch)) {
        const buffered = (stream as { writableLength?: number }).writableLength;
        if (buffered === undefined || buffered >= WRITE_BUFFER_BYTES) await once(stream, 'drain');
      }
    }
    if (failure) throw failure;
  } finally {
    stream.off('error', onError);
  }
  let lines = 0;
  for (const value of Object.values(counts)) lines += value;
  return { lines, counts };
}
