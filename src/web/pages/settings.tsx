import { type FormEvent, useState } from 'react';
import { type ApiToken, api, ROLES, SCOPES, setCsrfToken, type User } from '../api.ts';
import { useSession } from '../session.ts';
import { ErrorNote, formatDay, PageTitle, Status, useLoad } from '../ui.tsx';

const SCOPE_HELP: Record<string, string> = {
  read: 'read: KPIs, contributors, e-mails',
  write: 'write: also merges and “sync now”',
  admin: 'admin: everything, tokens and users too',
};

/** A secret shown once, with a copy button; it is gone when the page is left. */
function ShownOnce({ label, value, onDone }: { label: string; value: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="note" role="status">
      <p>
        <strong>{label}</strong> Copy it now: it is not shown again.
      </p>
      <p className="secret">
        <code data-secret>{value}</code>
        <button
          type="button"
          onClick={() =>
            navigator.clipboard?.writeText(value).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" className="link" onClick={onDone}>
          Done
        </button>
      </p>
    </div>
  );
}

function tokenState(token: ApiToken): string {
  if (token.revokedAt) return `revoked ${formatDay(token.revokedAt)}`;
  if (token.expiresAt && Date.parse(token.expiresAt) <= Date.now()) return `expired ${formatDay(token.expiresAt)}`;
  return token.expiresAt ? `active until ${formatDay(token.expiresAt)}` : 'active, no expiry';
}

function TokensSection() {
  const session = useSession();
  const tokens = useLoad(() => api.myTokens(), []);
  const [secret, setSecret] = useState<string | null>(null);
  const [message, setMessage] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const scopes = SCOPES.filter((scope) => scope !== 'admin' || session.me.user?.role === 'admin');

  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const chosen = data.getAll('scope').map(String);
    setError(null);
    setMessage('');
    if (chosen.length === 0) {
      setError(new Error('Choose at least one scope.'));
      return;
    }
    const days = Number(data.get('expires'));
    try {
      const result = await api.createToken({ name: String(data.get('name')).trim(), scopes: chosen, ...(days > 0 ? { expiresInDays: days } : {}) });
      setSecret(result.token);
      form.reset();
      tokens.reload();
    } catch (e) {
      setError(e as Error);
    }
  };
  const revoke = async (token: ApiToken) => {
    setError(null);
    try {
      await api.revokeToken(token.id);
      setMessage(`Revoked the token “${token.name}”: it no longer works.`);
      tokens.reload();
    } catch (e) {
      setError(e as Error);
    }
  };

  return (
    <section aria-labelledby="tokens">
      <h2 id="tokens">Your API tokens</h2>
      <p className="muted">
        For scripts and dashboards: send <code>Authorization: Bearer trb_…</code>. A token does what both its scopes and your role allow.
      </p>
      {secret && <ShownOnce label="Your new token:" value={secret} onDone={() => setSecret(null)} />}
      <p role="status" className="note" hidden={!message}>
        {message}
      </p>
      {error && <ErrorNote error={error} />}
      <form className="filters" aria-label="New API token" onSubmit={create}>
        <label>
          Token name
          <input name="name" required maxLength={200} placeholder="weekly report" />
        </label>
        <fieldset className="checks">
          <legend>Scopes</legend>
          {scopes.map((scope) => (
            <label key={scope} className="inline">
              <input type="checkbox" name="scope" value={scope} defaultChecked={scope === 'read'} /> {SCOPE_HELP[scope]}
            </label>
          ))}
        </fieldset>
        <label>
          Expires
          <select name="expires" defaultValue="90">
            <option value="7">in 7 days</option>
            <option value="30">in 30 days</option>
            <option value="90">in 90 days</option>
            <option value="365">in a year</option>
            <option value="0">never</option>
          </select>
        </label>
        <button type="submit">Create token</button>
      </form>
      <Status loaded={tokens}>
        {(data) =>
          data.items.length === 0 ? (
            <p>No token yet.</p>
          ) : (
            <div className="table-wrap">
              <table className="tokens">
                <caption>Your tokens, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Scopes</th>
                    <th scope="col">Created</th>
                    <th scope="col">Last used</th>
                    <th scope="col">State</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((t) => (
                    <tr key={t.id} data-token={t.prefix}>
                      <th scope="row">
                        {t.name}
                        <div className="muted">
                          <code>trb_{t.prefix}_…</code>
                        </div>
                      </th>
                      <td>{t.scopes.join(', ')}</td>
                      <td>{formatDay(t.createdAt)}</td>
                      <td>{t.lastUsedAt ? formatDay(t.lastUsedAt) : 'never'}</td>
                      <td>{tokenState(t)}</td>
                      <td>
                        {!t.revokedAt && (
                          <button type="button" onClick={() => revoke(t)} aria-label={`Revoke the token ${t.name}`}>
                            Revoke
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Status>
    </section>
  );
}

function UserRow({ user, self, onChange }: { user: User; self: boolean; onChange: (user: User, change: { role?: string; disabled?: boolean }) => void }) {
  const [role, setRole] = useState(user.role);
  return (
    <tr data-user={user.email}>
      <th scope="row">
        {user.name}
        {self && <span className="tag">you</span>}
        <div className="muted">{user.email}</div>
      </th>
      <td>
        <div className="row-actions">
          <label>
            <span className="visually-hidden">Role of {user.name}</span>
            <select value={role} onChange={(event) => setRole(event.target.value)} disabled={self}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          </label>
          {role !== user.role && (
            <button type="button" onClick={() => onChange(user, { role })}>
              Change role
            </button>
          )}
        </div>
      </td>
      <td>{user.disabledAt ? `disabled ${formatDay(user.disabledAt)}` : 'active'}</td>
      <td>{formatDay(user.createdAt)}</td>
      <td>
        {!self && (
          <button type="button" className="link" onClick={() => onChange(user, { disabled: !user.disabledAt })} aria-label={`${user.disabledAt ? 'Enable' : 'Disable'} ${user.name}`}>
            {user.disabledAt ? 'Enable' : 'Disable'}
          </button>
        )}
      </td>
    </tr>
  );
}

function UsersSection() {
  const session = useSession();
  const users = useLoad(() => api.users(), []);
  const [password, setPassword] = useState<{ email: string; password: string } | null>(null);
  const [message, setMessage] = useState('');
  const [error, setError] = useState<Error | null>(null);

  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    setError(null);
    setMessage('');
    try {
      const result = await api.createUser({ email: String(data.get('email')).trim(), name: String(data.get('name')).trim(), role: String(data.get('role')) });
      if (result.generatedPassword) setPassword({ email: result.user.email, password: result.generatedPassword });
      setMessage(`Added ${result.user.name} as ${result.user.role}.`);
      form.reset();
      users.reload();
    } catch (e) {
      setError(e as Error);
    }
  };
  const change = async (user: User, change: { role?: string; disabled?: boolean }) => {
    // Disabling ends the person's sessions and tokens at once, and enabling them again gives none back.
    if (change.disabled && !window.confirm(`Disable ${user.name}? Their sessions and API tokens end now, for good.`)) return;
    setError(null);
    try {
      const updated = await api.updateUser(user.id, change);
      setMessage(
        change.disabled === undefined
          ? `${updated.name} is now ${updated.role}.`
          : updated.disabledAt
            ? `Disabled ${updated.name}: their sessions and tokens ended.`
            : `Enabled ${updated.name}: they can sign in again.`,
      );
      users.reload();
    } catch (e) {
      setError(e as Error);
    }
  };

  return (
    <section aria-labelledby="users">
      <h2 id="users">Users</h2>
      {password && <ShownOnce label={`The password of ${password.email}:`} value={password.password} onDone={() => setPassword(null)} />}
      <p role="status" className="note" hidden={!message}>
        {message}
      </p>
      {error && <ErrorNote error={error} />}
      <form className="filters" aria-label="New user" onSubmit={create}>
        <label>
          User e-mail
          <input name="email" type="email" required maxLength={320} />
        </label>
        <label>
          User name
          <input name="name" required maxLength={200} />
        </label>
        <label>
          Role
          <select name="role" defaultValue="viewer">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Add user</button>
      </form>
      <Status loaded={users}>
        {(data) => (
          <div className="table-wrap">
            <table className="users">
              <caption>Everyone who may sign in; a generated password is shown once when you add someone</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">State</th>
                  <th scope="col">Added</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((u) => (
                  <UserRow key={`${u.id}-${u.role}-${u.disabledAt}`} user={u} self={u.id === session.me.user?.id} onChange={change} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Status>
    </section>
  );
}

export function SettingsPage() {
  const session = useSession();
  const signOut = async () => {
    await api.logout();
    setCsrfToken(null);
    await session.refresh();
  };
  const user = session.me.user;
  return (
    <>
      <PageTitle>Settings</PageTitle>
      <dl className="facts">
        <dt>Name</dt>
        <dd>{user?.name}</dd>
        <dt>E-mail</dt>
        <dd>{user?.email}</dd>
        <dt>Role</dt>
        <dd>{user?.role}</dd>
        <dt>May</dt>
        <dd>{session.me.permissions.join(', ')}</dd>
      </dl>
      <button type="button" onClick={signOut}>
        Sign out
      </button>
      <p className="muted">
        API: <a href="/api/docs">documentation</a>.
      </p>
      {session.can('account') && <TokensSection />}
      {session.can('admin') && <UsersSection />}
    </>
  );
}
