/**
 * Which merge brought each commit in, in one pass over `git log --topo-order` (children before
 * parents), keeping only the walk's frontier in memory.
 *
 * The commits of a merge M are M^1..M^2: reachable from M's other parents, not from its first. On the
 * default branch's first-parent line ("mainline", commits ranked 0, 1, 2 … from the tip), the ranges
 * of the mainline merges partition everything else: a commit belongs to the oldest mainline commit
 * that reaches it. Walking children first, each commit learns that from its children before it is
 * read, so every pending parent carries one "owner":
 *
 *   - a mainline commit passes "mainline, rank r+1" to its first parent;
 *   - a merge passes "its own range" to its other parents and its own owner to its first parent;
 *   - any other commit passes its owner to its parents.
 *
 * A commit reached by several children takes the owner with the higher rank (an older mainline range
 * already contains it); within one rank, the innermost range containing both — the nearest common
 * ancestor in the tree of ranges. So a merge into a feature or stable branch inside a mainline MR's
 * range gets its own commits, and the mainline MR counts them too (a range includes its sub-ranges).
 * Commits reachable only from other branches rank −1 and form ranges of their own the same way.
 */

import { detach } from '../../util/strings.ts';

export class Range {
  readonly mergeSha: string;
  readonly parent: Range | null;
  readonly rank: number;
  readonly depth: number;
  /** Whether the merge commit is on the default branch's first-parent line. */
  readonly mainline: boolean;
  /** The MR this merge closes, if its message names one (set by the caller). */
  mergeRequest: unknown = null;
  /** Commits directly in this range (not in a sub-range); sub-ranges are added by `totals()`. */
  commits = 0;
  /** Author key → [walk position of their oldest commit here, commits]. */
  authors = new Map<string, number>();

  constructor(mergeSha: string, parent: Range | null, rank: number, mainline: boolean) {
    this.mergeSha = mergeSha;
    this.parent = parent;
    this.rank = rank;
    this.mainline = mainline;
    this.depth = parent ? parent.depth + 1 : 0;
  }
}

interface Owner {
  range: Range | null;
  /** Mainline rank of the range (or of the commit itself, when `range` is null and rank ≥ 0); −1: other branches. */
  rank: number;
}

export interface Placement {
  /** The innermost range the commit is in; null for a commit on a branch line itself (mainline or other). */
  range: Range | null;
  /** The commit is on the default branch's first-parent line. */
  mainline: boolean;
  /** For a merge commit: the range it opens. */
  opens: Range | null;
  /** Position in the walk: later is older. */
  position: number;
}

function commonRange(a: Range | null, b: Range | null): Range | null {
  if (a === b) return a;
  if (a === null || b === null) return null;
  let x: Range | null = a;
  let y: Range | null = b;
  while (x && y && x.depth > y.depth) x = x.parent;
  while (x && y && y.depth > x.depth) y = y.parent;
  while (x && y && x !== y) {
    x = x.parent;
    y = y.parent;
  }
  return x === y ? x : null;
}

export class RangeWalker {
  readonly #pending = new Map<string, Owner>();
  readonly ranges: Range[] = [];
  #position = 0;

  /** `defaultTip` starts the mainline; `otherTips` are further branch tips walked in the same log. */
  constructor(defaultTip: string | null, otherTips: readonly string[] = []) {
    for (const tip of otherTips) this.#offer(tip, { range: null, rank: -1 });
    if (defaultTip) this.#offer(defaultTip, { range: null, rank: 0 });
  }

  /** Commits reached but not read yet: the walk's frontier, the only state that grows with width. */
  get frontier(): number {
    return this.#pending.size;
  }

  #offer(sha: string, owner: Owner) {
    const known = this.#pending.get(sha);
    if (known === undefined) {
      // Kept only until the commit is read: a few entries, so no need to detach them from log chunks.
      this.#pending.set(sha, owner);
      return;
    }
    if (owner.rank > known.rank) this.#pending.set(sha, owner);
    else if (owner.rank === known.rank && owner.range !== known.range) {
      // Same rank: both ranges or one line and one range. On a line (range null) beats any range.
      this.#pending.set(sha, { range: commonRange(known.range, owner.range), rank: known.rank });
    }
  }

  /** Places one commit; must be called children first (as `git log --topo-order` emits them). */
  visit(sha: string, parents: readonly string[]): Placement {
    const owner = this.#pending.get(sha) ?? { range: null, rank: -1 };
    this.#pending.delete(sha);
    const position = this.#position++;
    const mainline = owner.range === null && owner.rank >= 0;
    let opens: Range | null = null;
    if (parents.length > 1) {
      opens = new Range(detach(sha), owner.range, owner.rank, mainline);
      this.ranges.push(opens);
      for (let i = 1; i < parents.length; i++) this.#offer(parents[i] as string, { range: opens, rank: owner.rank });
    }
    if (parents.length > 0) {
      this.#offer(parents[0] as string, mainline ? { range: null, rank: owner.rank + 1 } : owner);
    }
    if (owner.range) owner.range.commits++;
    return { range: owner.range, mainline, opens, position };
  }

  /**
   * Adds each range's sub-ranges into it (ranges are created parents first, so one backwards sweep),
   * giving every merge the full M^1..M^2 count and authors. Call once, after the walk.
   */
  totals(): void {
    for (let i = this.ranges.length - 1; i >= 0; i--) {
      const range = this.ranges[i] as Range;
      const parent = range.parent;
      if (!parent) continue;
      parent.commits += range.commits;
      for (const [author, position] of range.authors) {
        const known = parent.authors.get(author);
        if (known === undefined || position > known) parent.authors.set(author, position);
      }
    }
  }
}
