import { type FormEvent, useEffect, useState } from 'react';
import { api, type SignInProviders, setCsrfToken } from '../api.ts';
import { useSession } from '../session.ts';
import { ErrorNote, PageTitle } from '../ui.tsx';

// Loaded with the app shell (everyone sees it first), so it stays small: no charts, no other page.
export function SignInPage() {
  const session = useSession();
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const [providers, setProviders] = useState<SignInProviders['providers']>([]);
  useEffect(() => {
    // Without them (an older server, a hiccup) the password form still works: no error to show.
    api.signInProviders().then(
      (answer) => setProviders(answer.providers),
      () => setProviders([]),
    );
  }, []);
  // Back to this page once the provider has vouched for you.
  const returnTo = encodeURIComponent(`${window.location.pathname}${window.location.search}`);
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
      {providers.length > 0 && (
        <ul className="providers" aria-label="Other ways to sign in">
          {providers.map((provider) => (
            <li key={provider.id}>
              <a className="button" href={`${provider.loginPath}?returnTo=${returnTo}`}>
                Sign in with {provider.label}
              </a>
            </li>
          ))}
        </ul>
      )}
      <p className="muted">
        No account yet? <code>npx tributary users create-admin --email you@example.org --name "Your Name"</code>
      </p>
    </main>
  );
}
