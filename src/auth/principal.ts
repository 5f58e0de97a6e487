import type { Permission, Role, Scope } from './roles.ts';
import type { User } from './users.ts';

/** Who is asking: nobody, a user through a browser session, or a user's API token. */
export type Principal =
  | { kind: 'anonymous'; permissions: ReadonlySet<Permission> }
  | { kind: 'session'; user: User; role: Role; sessionId: bigint; sessionToken: string; permissions: ReadonlySet<Permission> }
  | { kind: 'token'; user: User; role: Role; tokenId: bigint; tokenPrefix: string; scopes: Scope[]; permissions: ReadonlySet<Permission> };

/** How an action is recorded in audit columns (merges, sync requests): a user's e-mail or a token's prefix. */
export function actorOf(principal: Principal): string {
  if (principal.kind === 'session') return principal.user.email;
  if (principal.kind === 'token') return `${principal.user.email} (token ${principal.tokenPrefix})`;
  return 'anonymous';
}
