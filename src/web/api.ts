/** A small typed client for the REST API (/api/v1): same-origin cookies, the CSRF token on writes, problem details as errors. */

export interface Problem {
  title: string;
  status: number;
  detail?: string;
  errors?: { field: string; message: string }[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem | undefined;
  constructor(status: number, message: string, problem?: Problem) {
    super(message);
    this.status = status;
    this.problem = problem;
  }
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Me {
  authenticated: boolean;
  via: 'session' | 'token' | null;
  user: { id: string; name: string; email: string; role: string } | null;
  permissions: string[];
  csrfToken: string | null;
}

/** The ways to sign in besides (or instead of) a password; from /auth/providers. */
export interface SignInProviders {
  password: boolean;
  providers: { id: 'oidc' | 'github'; label: string; loginPath: string }[];
}

export interface Kpi {
  id: string;
  title: string;
  definition: string;
  unit: string;
  grains: string[];
  defaultGrain: string;
  higherIsBetter: boolean | null;
  target: string | null;
}

export interface KpiPoint {
  period: string;
  start: string;
  end: string;
  value: number | null;
  values?: Record<string, number | null>;
}

export interface KpiSeries {
  kpi: string;
  title: string;
  unit: string;
  grain: string;
  from: string;
  to: string;
  projects: string[];
  available: boolean;
  reason?: string;
  points: KpiPoint[];
}

export interface KpiExplanation {
  kpi: string;
  period: { key: string; start: string; end: string };
  value: KpiPoint | null;
  summary: string;
  columns: string[];
  rows: Record<string, unknown>[];
}

export interface Contributor {
  id: string;
  name: string | null;
  key: string | null;
  bot: boolean;
  identities: number;
  activities: number;
  firstActivityAt: string | null;
  lastActivityAt: string | null;
}

export interface ContributorProfile {
  id: string;
  name: string | null;
  key: string | null;
  canonicalId: string | null;
  bot: boolean;
  class: string;
  organisation: string | null;
  experience: { mergedMrs: number; level: string };
  members: { id: string; name: string | null; key: string | null }[];
  identities: { platform: string; kind: string; value: string; verified: boolean; displayName: string | null }[];
  organisations: { organisation: string; validFrom: string | null; validTo: string | null; source: string }[];
  activityByMonth: { month: string; kind: string; activities: number }[];
  mergeRequests: { id: string; project: string; number: number; title: string; state: string; createdAt: string | null; mergedAt: string | null; webUrl: string | null }[];
}

export interface Organisation {
  id: string;
  name: string;
  domains: string[];
  parent: string | null;
  arr: string | null;
  people: number;
}

export interface MergeRequest {
  id: string;
  project: string;
  number: number;
  title: string;
  state: string;
  class: string | null;
  author: { id: string; name: string | null } | null;
  organisation: string | null;
  createdAt: string | null;
  updatedAt: string | null;
  webUrl: string | null;
}

export interface Source {
  id: string;
  name: string;
  kind: string;
  lastStartedAt: string | null;
  lastFinishedAt: string | null;
  lastError: string | null;
  pendingSync: { id: string; requestedAt: string } | null;
}

export interface MergeSuggestion {
  a: { id: string; key: string; name: string | null };
  b: { id: string; key: string; name: string | null };
  score: number;
  rules: string[];
  shared: string;
}

export interface MergeRecord {
  id: string;
  fromPersonId: string;
  intoPersonId: string;
  reason: string;
  actor: string;
  mergedAt: string;
  undoneAt: string | null;
}

export interface RosterEntry {
  personId: string;
  name: string | null;
  key: string | null;
  username: { platform: string; value: string } | null;
  title: string | null;
  department: string | null;
  validFrom: string | null;
  validTo: string | null;
  source: string;
  roles: { role: string; specialty?: string }[];
  coach: string | null;
  capacity: number | null;
  openReviews: number | null;
  outOfOffice: { validFrom: string; validTo: string | null; note: string | null } | null;
  groups: { platform: string; group: string; accessLevel: number | null; validFrom: string | null }[];
}

export const ROLES = ['viewer', 'coach', 'manager', 'admin'] as const;
export const SCOPES = ['read', 'write', 'admin'] as const;

export interface User {
  id: string;
  email: string;
  name: string;
  role: string;
  createdAt: string;
  disabledAt: string | null;
}

export interface ApiToken {
  id: string;
  userId: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export type Query = Record<string, string | string[] | undefined>;

let csrfToken: string | null = null;

/** The CSRF token from login or /auth/me; the readable cookie is the fallback after a reload. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

function csrfFromCookie(): string | null {
  const match = /(?:^|;\s*)(?:__Host-)?tributary_csrf=([^;]+)/.exec(document.cookie);
  return match?.[1] ? decodeURIComponent(match[1]) : null;
}

export function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    for (const v of [value ?? []].flat()) if (v !== '') params.append(key, v);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

async function request<T>(method: string, path: string, options: { query?: Query; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') {
    const token = csrfToken ?? csrfFromCookie();
    if (token) headers['x-csrf-token'] = token;
  }
  const response = await fetch(`/api/v1${path}${queryString(options.query)}`, {
    method,
    headers,
    credentials: 'same-origin',
    body: options.body === undefined ? null : JSON.stringify(options.body),
  });
  if (response.status === 204) return undefined as T;
  const body = await response.json().catch(() => undefined);
  if (!response.ok) {
    const problem = body as Problem | undefined;
    throw new ApiError(response.status, problem?.detail ?? problem?.title ?? `${response.status} ${response.statusText}`, problem);
  }
  return body as T;
}

const enc = encodeURIComponent;

export const api = {
  me: () => request<Me>('GET', '/auth/me'),
  login: (email: string, password: string) => request<{ csrfToken: string }>('POST', '/auth/login', { body: { email, password } }),
  logout: () => request<void>('POST', '/auth/logout'),
  signInProviders: () => request<SignInProviders>('GET', '/auth/providers'),
  kpis: () => request<{ items: Kpi[] }>('GET', '/kpis'),
  kpi: (id: string, query: Query = {}) => request<KpiSeries>('GET', `/kpis/${enc(id)}`, { query }),
  explain: (id: string, period: string, query: Query = {}) => request<KpiExplanation>('GET', `/kpis/${enc(id)}/explain/${enc(period)}`, { query }),
  contributors: (query: Query = {}) => request<Page<Contributor>>('GET', '/contributors', { query }),
  contributor: (id: string) => request<ContributorProfile>('GET', `/contributors/${enc(id)}`),
  organisations: (query: Query = {}) => request<Page<Organisation>>('GET', '/organisations', { query }),
  organisation: (id: string) => request<Organisation & { members: { id: string; name: string | null; validFrom: string | null; validTo: string | null; source: string }[] }>('GET', `/organisations/${enc(id)}`),
  mergeRequests: (query: Query = {}) => request<Page<MergeRequest>>('GET', '/merge-requests', { query }),
  sources: () => request<{ items: Source[] }>('GET', '/sources'),
  syncNow: (name: string) => request<{ id: string; requestedAt: string }>('POST', `/sources/${enc(name)}/sync`),
  mergeSuggestions: (limit = 20) => request<{ items: MergeSuggestion[] }>('GET', '/people/merge-suggestions', { query: { limit: String(limit) } }),
  merges: () => request<{ items: MergeRecord[] }>('GET', '/people/merges', { query: { limit: '20' } }),
  merge: (from: string, into: string) => request<MergeRecord>('POST', '/people/merges', { body: { from, into } }),
  roster: (query: Query = {}) => request<Page<RosterEntry>>('GET', '/people/roster', { query }),
  myTokens: () => request<{ items: ApiToken[] }>('GET', '/account/tokens'),
  createToken: (input: { name: string; scopes: string[]; expiresInDays?: number }) => request<{ token: string; record: ApiToken }>('POST', '/account/tokens', { body: input }),
  revokeToken: (id: string) => request<ApiToken>('DELETE', `/account/tokens/${enc(id)}`),
  users: () => request<{ items: User[] }>('GET', '/users'),
  createUser: (input: { email: string; name: string; role: string }) => request<{ user: User; generatedPassword: string | null }>('POST', '/users', { body: input }),
  updateUser: (id: string, change: { name?: string; role?: string; disabled?: boolean }) => request<User>('PATCH', `/users/${enc(id)}`, { body: change }),
  undoMerge: (id: string) => request<MergeRecord>('POST', `/people/merges/${enc(id)}/undo`, { body: {} }),
};
