import { createRequesterFn, type FormattedResponse, type ResourceOptions } from '@gitbeaker/requester-utils';
import {
  GroupMembers,
  GroupMilestones,
  Groups,
  IssueNotes,
  Issues,
  MergeRequestLabelEvents,
  MergeRequestNotes,
  MergeRequests,
  ProjectMilestones,
  ProjectReleases,
  Projects,
  Users,
} from '@gitbeaker/rest';
import { SourceError } from '../contract.ts';

/**
 * Reading the GitLab REST API politely. @gitbeaker/rest builds the requests (paths, query strings,
 * following `Link: rel="next"`); its stock request handler retries only 429 and 502, ignores
 * `Retry-After` and `RateLimit-*`, and has no ceiling across concurrent calls, so the handler is ours
 * (gitbeaker's `requesterFn` hook): one gate for every request, which
 *   - keeps at most `requestsPerMinute` requests in any window of `windowSeconds` (retries included),
 *   - runs at most `concurrency` requests at once,
 *   - pauses everyone on 429 for `Retry-After` (else until `RateLimit-Reset`), and when
 *     `RateLimit-Remaining` reaches 0,
 *   - retries 5xx, timeouts, dropped connections and truncated bodies with exponential backoff and
 *     full jitter, up to `maxRetries` times.
 * The token goes in the PRIVATE-TOKEN header and never into a message.
 */

export interface Politeness {
  requestsPerMinute: number;
  /** The ceiling's window (60 s by definition; tests shorten it to see it work quickly). */
  windowSeconds: number;
  concurrency: number;
  maxRetries: number;
  /** The first backoff step; each retry doubles it (with jitter), up to 30 s. */
  backoffMs: number;
  timeoutMs: number;
}

export const DEFAULT_POLITENESS: Politeness = { requestsPerMinute: 600, windowSeconds: 60, concurrency: 4, maxRetries: 10, backoffMs: 500, timeoutMs: 30_000 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Admission of requests: the ceiling, the concurrency bound and shared pauses.
 *
 * The ceiling must hold where it is counted, at the server, whose clock sees a request arrive some
 * time after it left and before its answer came back. So a request counts against the window from
 * the moment it is admitted until a whole window after its answer: two requests whose answers are a
 * window apart cannot have arrived within one window, whatever the network did.
 */
export class RequestGate {
  readonly #politeness: Politeness;
  /** When each recent request's answer came back (ms, ascending). */
  readonly #answered: number[] = [];
  #inFlight = 0;
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  #pausedUntil = 0;
  /** Requests sent, retries included. */
  sent = 0;
  retries = 0;
  waitedMs = 0;

  constructor(politeness: Politeness) {
    this.#politeness = politeness;
  }

  pauseUntil(ms: number) {
    this.#pausedUntil = Math.max(this.#pausedUntil, ms);
  }

  async #slot(): Promise<void> {
    if (this.#running < this.#politeness.concurrency) {
      this.#running++;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  #release() {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#running--;
  }

  /** Waits for a slot and for the ceiling and pauses to allow one more request; returns its release. */
  async admit(): Promise<() => void> {
    await this.#slot();
    const started = Date.now();
    const window = this.#politeness.windowSeconds * 1000;
    for (;;) {
      const now = Date.now();
      while (this.#answered.length > 0 && now - (this.#answered[0] as number) >= window) this.#answered.shift();
      let wait = this.#pausedUntil - now;
      if (this.#inFlight + this.#answered.length >= this.#politeness.requestsPerMinute) {
        // Until the oldest answer leaves the window (or, all being in flight, a little while).
        wait = Math.max(wait, this.#answered.length > 0 ? (this.#answered[0] as number) + window - now + 1 : 10);
      }
      if (wait <= 0) break;
      await sleep(wait);
    }
    this.#inFlight++;
    this.sent++;
    this.waitedMs += Date.now() - started;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight--;
      this.#answered.push(Date.now());
      this.#release();
    };
  }
}

class RetryableError extends Error {}

/** 404: the thing is gone (an MR deleted, a user removed) or was never visible to this token. */
export class NotFoundError extends SourceError {}

/** gitbeaker's request handler, replaced: see the file's comment. */
function politeHandler(gate: RequestGate, politeness: Politeness, counts: Map<string, number>) {
  return async (endpoint: string, options: Record<string, unknown> = {}): Promise<FormattedResponse> => {
    const prefix = String(options.prefixUrl ?? '');
    const url = new URL(endpoint, prefix.endsWith('/') ? prefix : `${prefix}/`);
    url.search = String(options.searchParams ?? '');
    const headers = (options.headers ?? {}) as Record<string, string>;
    const what = `GET ${url.pathname}`;
    let lastProblem = '';
    for (let attempt = 0; attempt <= politeness.maxRetries; attempt++) {
      if (attempt > 0) gate.retries++;
      const release = await gate.admit();
      const category = url.pathname.replace(/\d+/g, ':id');
      counts.set(category, (counts.get(category) ?? 0) + 1);
      try {
        const response = await fetch(url, { method: String(options.method ?? 'GET'), headers, signal: AbortSignal.timeout(politeness.timeoutMs) });
        const remaining = response.headers.get('ratelimit-remaining');
        const reset = Number(response.headers.get('ratelimit-reset'));
        // Others may be in flight: stop while the quota still has room for them.
        if (remaining !== null && Number(remaining) <= politeness.concurrency && reset > 0) gate.pauseUntil(reset * 1000);
        if (response.status === 429) {
          await response.body?.cancel();
          const retryAfter = Number(response.headers.get('retry-after'));
          gate.pauseUntil(Number.isFinite(retryAfter) && response.headers.has('retry-after') ? Date.now() + retryAfter * 1000 : reset > 0 ? reset * 1000 : Date.now() + backoff(politeness, attempt));
          throw new RetryableError('429 Too Many Requests');
        }
        if (response.status >= 500) {
          await response.body?.cancel();
          throw new RetryableError(`${response.status} ${response.statusText}`);
        }
        // The whole body is read inside the try: a connection cut mid-body is retried like any other.
        const text = await response.text();
        if (!response.ok) {
          const message = response.status === 401 ? 'the token was refused (401): check the token and its scopes (read_api)' : `${response.status} ${text.slice(0, 200)}`;
          throw response.status === 404 ? new NotFoundError(`GitLab answered ${what}: ${message}`) : new SourceError(`GitLab answered ${what}: ${message}`);
        }
        let body: unknown;
        try {
          body = text === '' ? null : JSON.parse(text);
        } catch {
          throw new RetryableError(`an incomplete body (${text.length} characters)`);
        }
        return { body: body as FormattedResponse['body'], headers: Object.fromEntries(response.headers.entries()), status: response.status };
      } catch (error) {
        if (error instanceof SourceError) throw error;
        lastProblem = error instanceof RetryableError ? error.message : (error as Error).name === 'TimeoutError' ? 'a timeout' : `a failed connection (${(error as Error).message})`;
        if (!(error instanceof RetryableError && lastProblem.startsWith('429'))) await sleep(backoff(politeness, attempt));
      } finally {
        release();
      }
    }
    throw new SourceError(`GitLab: ${what} failed ${politeness.maxRetries + 1} times, last with ${lastProblem}; the next sync resumes from here`);
  };
}

/** Exponential backoff with full jitter: uniform in [0, min(30 s, base·2^attempt)]. */
function backoff(politeness: Politeness, attempt: number): number {
  return Math.random() * Math.min(30_000, politeness.backoffMs * 2 ** attempt);
}

// Payloads are checked where they are read (normalise.ts); here they are what GitLab sent.
export type Payload = Record<string, unknown>;

export interface Page {
  items: Payload[];
  nextPage: number | null;
}

/** The few GitLab resources a sync reads, through gitbeaker and the polite handler. */
export class GitlabApi {
  readonly gate: RequestGate;
  /** Requests by endpoint shape (`/api/v4/projects/:id/merge_requests/:id/notes`), retries included. */
  readonly counts = new Map<string, number>();
  readonly #resources;

  constructor(baseUrl: string, token: string, politeness: Politeness = DEFAULT_POLITENESS) {
    this.gate = new RequestGate(politeness);
    const requesterFn = createRequesterFn((_: ResourceOptions, options) => Promise.resolve(options), politeHandler(this.gate, politeness, this.counts));
    const options = { host: baseUrl.replace(/\/+$/, ''), token, requesterFn, queryTimeout: null };
    this.#resources = {
      mergeRequests: new MergeRequests(options),
      mergeRequestNotes: new MergeRequestNotes(options),
      mergeRequestLabelEvents: new MergeRequestLabelEvents(options),
      issues: new Issues(options),
      issueNotes: new IssueNotes(options),
      users: new Users(options),
      groups: new Groups(options),
      groupMembers: new GroupMembers(options),
      groupMilestones: new GroupMilestones(options),
      projects: new Projects(options),
      projectMilestones: new ProjectMilestones(options),
      projectReleases: new ProjectReleases(options),
    };
  }

  async group(path: string): Promise<Payload> {
    return (await this.#resources.groups.show(path)) as unknown as Payload;
  }

  async project(path: string): Promise<Payload> {
    return (await this.#resources.projects.show(path)) as unknown as Payload;
  }

  async groupProjects(group: string | number): Promise<Payload[]> {
    return (await this.#resources.groups.allProjects(group, { includeSubgroups: true, perPage: 100, orderBy: 'id', sort: 'asc' })) as unknown as Payload[];
  }

  /**
   * One page of MRs (or issues) of a group (subgroups included) or a project, oldest change first.
   * `updated_after` is inclusive, so a walk that moves it to the last `updated_at` it saw reads that
   * instant again: the caller drops what it already stored.
   */
  async changedPage(kind: 'merge_requests' | 'issues', scope: { groupId: string | number } | { projectId: string | number }, updatedAfter: string | null, page: number): Promise<Page> {
    const options = {
      ...scope,
      scope: 'all',
      state: 'all',
      orderBy: 'updated_at',
      sort: 'asc',
      perPage: 100,
      page,
      maxPages: 1,
      showExpanded: true,
      ...(updatedAfter ? { updatedAfter } : {}),
    } as const;
    const resource = kind === 'merge_requests' ? this.#resources.mergeRequests : this.#resources.issues;
    // biome-ignore lint/suspicious/noExplicitAny: gitbeaker's overloads do not take a union of scopes.
    const result = (await (resource.all as any)(options)) as { data: Payload[]; paginationInfo: { next: number | null } };
    return { items: result.data, nextPage: result.paginationInfo.next };
  }

  async mergeRequestNotes(projectId: number, iid: number): Promise<Payload[]> {
    return (await this.#resources.mergeRequestNotes.all(projectId, iid, { sort: 'asc', orderBy: 'created_at', perPage: 100 })) as unknown as Payload[];
  }

  async mergeRequestLabelEvents(projectId: number, iid: number): Promise<Payload[]> {
    return (await this.#resources.mergeRequestLabelEvents.all(projectId, iid, { perPage: 100 })) as unknown as Payload[];
  }

  async issueNotes(projectId: number, iid: number): Promise<Payload[]> {
    return (await this.#resources.issueNotes.all(projectId, iid, { sort: 'asc', orderBy: 'created_at', perPage: 100 })) as unknown as Payload[];
  }

  /** A user's profile, or null when GitLab no longer shows it (a deleted or blocked account). */
  async user(id: number): Promise<Payload | null> {
    try {
      return (await this.#resources.users.show(id)) as unknown as Payload;
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  }

  async groupMembers(group: string | number): Promise<Payload[]> {
    return (await this.#resources.groupMembers.all(group, { perPage: 100 })) as unknown as Payload[];
  }

  async groupMilestones(group: string | number): Promise<Payload[]> {
    return (await this.#resources.groupMilestones.all(group, { perPage: 100 })) as unknown as Payload[];
  }

  async projectMilestones(project: string | number): Promise<Payload[]> {
    return (await this.#resources.projectMilestones.all(project, { perPage: 100 })) as unknown as Payload[];
  }

  async projectReleases(project: string | number): Promise<Payload[]> {
    return (await this.#resources.projectReleases.all(project, { perPage: 100 })) as unknown as Payload[];
  }
}

/** Runs `work` over `items` with at most `limit` at once (the gate bounds requests; this bounds memory). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: unknown = null;
  const worker = async () => {
    while (next < items.length && failed === null) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T);
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== null) throw failed;
  return results;
}
