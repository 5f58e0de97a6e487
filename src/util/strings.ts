/**
 * A copy of `text` that does not keep a larger string alive. V8 represents a substring of a long string
 * as a slice of it: a title kept from a 64 KB chunk of `git log` output keeps the whole chunk. Strings
 * kept for the length of a sync (per merge, per author) are detached with this.
 */
export function detach(text: string): string {
  return text.length === 0 ? '' : (` ${text}`).slice(1);
}
