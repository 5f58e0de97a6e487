/**
 * Who may do what. A route names the one permission it needs; a user's role grants a set of them; an API
 * token acts for its user but only within its scopes, so a read token of an admin still cannot merge.
 */
export const ROLES = ['viewer', 'coach', 'manager', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const PERMISSIONS = [
  // KPI catalogue and series, health: what anyone may see.
  'public',
  // KPI explanations, contributors, organisations, merge requests, sources.
  'read',
  // E-mail addresses and the person keys built from them.
  'emails',
  // Triage writes on contributions (coaches); no route needs it yet.
  'triage',
  // Merge and unmerge people, see merge suggestions.
  'people:write',
  // Ask a source to sync now.
  'sources:sync',
  // Your own API tokens (list, create, revoke): every signed-in user; among token scopes only `admin`, so a
  // token cannot mint tokens that outlive it.
  'account',
  // Users, everyone's API tokens, settings.
  'admin',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  viewer: ['public', 'read', 'account'],
  coach: ['public', 'read', 'emails', 'triage', 'account'],
  manager: ['public', 'read', 'emails', 'triage', 'people:write', 'sources:sync', 'account'],
  admin: PERMISSIONS,
};

const SCOPE_PERMISSIONS: Record<Scope, readonly Permission[]> = {
  read: ['public', 'read', 'emails'],
  write: ['public', 'read', 'emails', 'triage', 'people:write', 'sources:sync'],
  admin: PERMISSIONS,
};

export const ANONYMOUS_PERMISSIONS: ReadonlySet<Permission> = new Set(['public']);

export function permissionsOf(role: Role, scopes?: readonly Scope[]): Set<Permission> {
  const granted = new Set(ROLE_PERMISSIONS[role]);
  if (scopes === undefined) return granted;
  const allowed = new Set(scopes.flatMap((scope) => SCOPE_PERMISSIONS[scope]));
  return new Set([...granted].filter((permission) => allowed.has(permission)));
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
