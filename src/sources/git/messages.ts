/**
 * What a commit message says about merge requests, in the forms GitLab and GitHub really write
 * (../shared/docs/git-history.md and docs/git-source.md list them with examples):
 *
 *   Merge branch 'SRC' into 'TARGET'            GitLab; older: no `into`, or `of URL`
 *   <title>
 *   See merge request !1638                       project-relative (before ~2017)
 *   See merge request group/project!5590          a path: maybe another project (a security mirror)
 *   See merge request https://host/group/project/-/merge_requests/7150
 *   Merged-by: / Approved-by: / Reviewed-by: / Co-authored-by: Name <email>   (trailers, since ~2022)
 *
 *   Merge pull request #N from OWNER/BRANCH       GitHub; the body is the PR title
 *   Title of the change (#N)                      GitHub squash merge
 */

export interface Signature {
  name: string;
  email: string;
}

export interface MergeRequestReference {
  platform: 'gitlab' | 'github';
  /** The project path the message names, or null for a reference relative to the repository's project. */
  projectPath: string | null;
  number: number;
  form: 'gitlab-short' | 'gitlab-path' | 'gitlab-url' | 'github-merge' | 'github-squash';
  title: string;
  sourceBranch: string | null;
  targetBranch: string | null;
  /** The fork a GitHub PR came from (`OWNER` in `from OWNER/BRANCH`). */
  sourceOwner: string | null;
}

export interface Trailers {
  mergedBy: Signature[];
  approvedBy: Signature[];
  reviewedBy: Signature[];
  coAuthoredBy: Signature[];
}

export interface ParsedMessage {
  subject: string;
  reference: MergeRequestReference | null;
  trailers: Trailers;
}

const GITLAB_SUBJECT = /^Merge (?:remote-tracking )?branch '([^']+)'(?: of (\S+))?(?: into '?([^']+?)'?)?\s*$/;
const GITHUB_SUBJECT = /^Merge pull request #(\d+) from ([^\s/]+)\/(\S+)/;
const SQUASH_SUBJECT = /^(.+?) \(#(\d+)\)$/;
const SEE_MERGE_REQUEST = /^See merge request (\S+?)\.?$/m;
const URL_REFERENCE = /^https?:\/\/[^/]+\/(.+?)\/(?:-\/)?merge_requests\/(\d+)(?:[/?#].*)?$/;
const PATH_REFERENCE = /^([\w.-]+(?:\/[\w.-]+)+)!(\d+)$/;
const SHORT_REFERENCE = /^!(\d+)$/;
const TRAILER = /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/;
const KNOWN_TRAILER = /^(Merged-by|Approved-by|Reviewed-by|Co-authored-by|Signed-off-by|Changelog):/i;
const SIGNATURE = /^(.*?)\s*<([^<>]*)>\s*$/;

export function parseSignature(text: string): Signature | null {
  const match = SIGNATURE.exec(text.trim());
  if (!match) return null;
  return { name: (match[1] as string).trim(), email: (match[2] as string).trim() };
}

/** Trailers are the message's last paragraph when its lines are `Key: value` (continuations allowed). */
export function parseTrailers(message: string): Trailers {
  const trailers: Trailers = { mergedBy: [], approvedBy: [], reviewedBy: [], coAuthoredBy: [] };
  const trimmed = message.trimEnd();
  const paragraphStart = trimmed.lastIndexOf('\n\n');
  if (paragraphStart < 0) return trailers;
  const paragraph = trimmed.slice(paragraphStart + 2);
  for (const line of paragraph.split('\n')) {
    const match = TRAILER.exec(line.trimEnd());
    if (!match) continue;
    const key = (match[1] as string).toLowerCase();
    const list =
      key === 'merged-by'
        ? trailers.mergedBy
        : key === 'approved-by'
          ? trailers.approvedBy
          : key === 'reviewed-by'
            ? trailers.reviewedBy
            : key === 'co-authored-by'
              ? trailers.coAuthoredBy
              : null;
    if (!list) continue;
    const signature = parseSignature(match[2] as string);
    if (signature && !list.some((s) => s.email.toLowerCase() === signature.email.toLowerCase())) list.push(signature);
  }
  return trailers;
}

/** The first non-empty line after the subject: GitLab and GitHub both put the MR title there. */
function titleAfterSubject(message: string): string {
  const lines = message.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    // "feat: add x" is a title; only the trailers the forges append mean there is none.
    if (SEE_MERGE_REQUEST.test(line) || KNOWN_TRAILER.test(line)) return '';
    return line;
  }
  return '';
}

function referenceOf(text: string): Pick<MergeRequestReference, 'projectPath' | 'number' | 'form'> | null {
  let match = SHORT_REFERENCE.exec(text);
  if (match) return { projectPath: null, number: Number(match[1]), form: 'gitlab-short' };
  match = PATH_REFERENCE.exec(text);
  if (match) return { projectPath: match[1] as string, number: Number(match[2]), form: 'gitlab-path' };
  match = URL_REFERENCE.exec(text);
  if (match) return { projectPath: match[1] as string, number: Number(match[2]), form: 'gitlab-url' };
  return null;
}

/**
 * Reads one message. `isMerge` says whether the commit has several parents; `squashPlatform` is the
 * platform whose `(#N)` subjects mean squash-merged PRs (GitHub only: on GitLab `(#N)` names an issue).
 */
export function parseMessage(message: string, isMerge: boolean, squashPlatform: 'github' | null): ParsedMessage {
  const newline = message.indexOf('\n');
  const subject = (newline < 0 ? message : message.slice(0, newline)).trim();
  const hasTrailers = message.includes(': ');
  const trailers = hasTrailers ? parseTrailers(message) : { mergedBy: [], approvedBy: [], reviewedBy: [], coAuthoredBy: [] };
  let reference: MergeRequestReference | null = null;
  if (isMerge) {
    const see = SEE_MERGE_REQUEST.exec(message);
    if (see) {
      const found = referenceOf(see[1] as string);
      if (found) {
        const branches = GITLAB_SUBJECT.exec(subject);
        reference = {
          platform: 'gitlab',
          ...found,
          title: titleAfterSubject(message) || subject,
          sourceBranch: branches ? (branches[1] as string) : null,
          targetBranch: branches?.[3] ?? null,
          sourceOwner: null,
        };
      }
    } else {
      const github = GITHUB_SUBJECT.exec(subject);
      if (github) {
        reference = {
          platform: 'github',
          projectPath: null,
          number: Number(github[1]),
          form: 'github-merge',
          title: titleAfterSubject(message) || subject,
          sourceBranch: github[3] as string,
          targetBranch: null,
          sourceOwner: github[2] as string,
        };
      }
    }
  } else if (squashPlatform) {
    const squash = SQUASH_SUBJECT.exec(subject);
    if (squash) {
      reference = {
        platform: squashPlatform,
        projectPath: null,
        number: Number(squash[2]),
        form: 'github-squash',
        title: squash[1] as string,
        sourceBranch: null,
        targetBranch: null,
        sourceOwner: null,
      };
    }
  }
  return { subject, reference, trailers };
}

const GITHUB_NOREPLY = /^(?:(\d+)\+)?([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\[bot\])?)@users\.noreply\.github\.com$/i;
const GITLAB_NOREPLY = /^(?:\d+-)?([A-Za-z0-9_.-]+)@users\.noreply\.[A-Za-z0-9.-]+$/i;

/** GitHub and GitLab private addresses carry the account's login: `ID+login@users.noreply.github.com`. */
export function loginFromNoreply(email: string): { platform: 'github' | 'gitlab'; login: string; userId: string | null } | null {
  let match = GITHUB_NOREPLY.exec(email);
  if (match) return { platform: 'github', login: match[2] as string, userId: match[1] ?? null };
  match = GITLAB_NOREPLY.exec(email);
  if (match && !/github\.com$/i.test(email)) return { platform: 'gitlab', login: match[1] as string, userId: null };
  return null;
}

/** Generic addresses the forges use as committer; such a committer says nothing about who merged. */
export function isServiceAddress(email: string): boolean {
  return /^(noreply@github\.com|noreply@gitlab\.com|noreply@[\w.-]*gitlab[\w.-]*)$/i.test(email);
}
