import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { api, setCsrfToken } from '../api.ts';
import { useSession } from '../session.ts';
import { ErrorNote, PageTitle, Status, useLoad } from '../ui.tsx';

export function SignInPage() {
  const session = useSession();
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const result = await api.login(String(form.get('email')), String(form.get('password')));
      setCsrfToken(result.csrfToken);
      await session.refresh();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" className="sign-in">
      <PageTitle>Sign in to Tributary</PageTitle>
      <form onSubmit={submit}>
        <label>
          E-mail
          <input name="email" type="email" autoComplete="username" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        {error && <ErrorNote error={error} />}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="muted">
        No account yet? <code>npx tributary users create-admin --email you@example.org --name "Your Name"</code>
      </p>
    </main>
  );
}

export function PeoplePage() {
  const session = useSession();
  const suggestions = useLoad(() => api.mergeSuggestions(20), []);
  const merges = useLoad(() => api.merges(), []);
  const [message, setMessage] = useState('');
  const [error, setError] = useState<Error | null>(null);
  if (!session.can('people:write')) return <p>People administration needs the manager or admin role.</p>;

  const act = async (work: () => Promise<string>) => {
    setError(null);
    try {
      setMessage(await work());
      suggestions.reload();
      merges.reload();
    } catch (e) {
      setError(e as Error);
    }
  };
  const merge = (from: string, into: string) =>
    act(async () => {
      const record = await api.merge(from, into);
      return `Merged person ${record.fromPersonId} into ${record.intoPersonId}. KPIs show it after the next rollup refresh.`;
    });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    void merge(String(form.get('from')).trim(), String(form.get('into')).trim());
  };

  return (
    <>
      <PageTitle>People administration</PageTitle>
      <p role="status" className="note" hidden={!message}>
        {message}
      </p>
      {error && <ErrorNote error={error} />}
      <section aria-labelledby="manual">
        <h2 id="manual">Merge two people</h2>
        <form className="filters" onSubmit={submit}>
          <label>
            Merge (id, key or identity)
            <input name="from" required placeholder="gitlab:username:alice" />
          </label>
          <label>
            Into
            <input name="into" required placeholder="alice@example.org" />
          </label>
          <button type="submit">Merge</button>
        </form>
      </section>
      <section aria-labelledby="suggestions">
        <h2 id="suggestions">Merge suggestions</h2>
        <Status loaded={suggestions}>
          {(data) =>
            data.items.length === 0 ? (
              <p>No suggestions.</p>
            ) : (
              <ul className="suggestions">
                {data.items.map((s) => (
                  <li key={`${s.a.id}-${s.b.id}`}>
                    <span>
                      <Link to={`/contributors/${s.a.id}`}>{s.a.name ?? s.a.key}</Link> ({s.a.key}) and <Link to={`/contributors/${s.b.id}`}>{s.b.name ?? s.b.key}</Link> ({s.b.key})
                      <span className="muted">
                        {' '}
                        · score {s.score.toFixed(2)} · {s.rules.join(', ')}
                      </span>
                    </span>
                    <button type="button" onClick={() => merge(s.b.id, s.a.id)} aria-label={`Merge ${s.b.key} into ${s.a.key}`}>
                      Merge
                    </button>
                  </li>
                ))}
              </ul>
            )
          }
        </Status>
      </section>
      <section aria-labelledby="log">
        <h2 id="log">Recent merges</h2>
        <Status loaded={merges}>
          {(data) => (
            <ul>
              {data.items.map((m) => (
                <li key={m.id}>
                  {m.mergedAt.slice(0, 16).replace('T', ' ')}: <Link to={`/contributors/${m.fromPersonId}`}>{m.fromPersonId}</Link> into{' '}
                  <Link to={`/contributors/${m.intoPersonId}`}>{m.intoPersonId}</Link> by {m.actor}
                  {m.undoneAt ? (
                    <span className="muted"> (undone)</span>
                  ) : (
                    <button type="button" className="link" onClick={() =>
                        act(async () => {
                          await api.undoMerge(m.id);
                          return `Undid merge ${m.id}.`;
                        })
                      }>
                      Undo
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )}
        </Status>
      </section>
    </>
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
    </>
  );
}
