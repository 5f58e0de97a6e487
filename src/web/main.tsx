import { lazy, StrictMode, Suspense, useCallback, useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, NavLink, Route, Routes, useLocation } from 'react-router';
import { api, type Me, setCsrfToken } from './api.ts';
import { SignInPage } from './pages/signin.tsx';
import { type Session, SessionContext, useSession } from './session.ts';

// Each page module is a chunk of its own, fetched on first visit: the shell and the sign-in page stay small.
const page = <K extends string>(load: () => Promise<Record<K, () => React.JSX.Element>>, name: K) =>
  lazy(() => load().then((module) => ({ default: module[name] })));
const OverviewPage = page(() => import('./pages/kpis.tsx'), 'OverviewPage');
const KpiDetailPage = page(() => import('./pages/kpis.tsx'), 'KpiDetailPage');
const ContributorsPage = page(() => import('./pages/contributors.tsx'), 'ContributorsPage');
const ContributorPage = page(() => import('./pages/contributors.tsx'), 'ContributorPage');
const OrganisationsPage = page(() => import('./pages/lists.tsx'), 'OrganisationsPage');
const OrganisationPage = page(() => import('./pages/lists.tsx'), 'OrganisationPage');
const MergeRequestsPage = page(() => import('./pages/lists.tsx'), 'MergeRequestsPage');
const SourcesPage = page(() => import('./pages/lists.tsx'), 'SourcesPage');
const PeoplePage = page(() => import('./pages/people.tsx'), 'PeoplePage');
const RosterPage = page(() => import('./pages/people.tsx'), 'RosterPage');
const SettingsPage = page(() => import('./pages/settings.tsx'), 'SettingsPage');

const NAV = [
  { to: '/', label: 'Overview', end: true },
  { to: '/contributors', label: 'Contributors' },
  { to: '/organisations', label: 'Organisations' },
  { to: '/merge-requests', label: 'Merge requests' },
  { to: '/sources', label: 'Sources' },
  { to: '/people', label: 'People admin', permission: 'people:write' },
  { to: '/settings', label: 'Settings' },
];

function Layout() {
  const session = useSession();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const firstPage = useRef(true);
  // After navigating, close the phone menu and start screen readers and keyboards at the new content;
  // not on the first page, where Tab must reach the skip link first.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on navigation only
  useEffect(() => {
    setMenuOpen(false);
    if (firstPage.current) firstPage.current = false;
    else document.getElementById('main')?.focus({ preventScroll: true });
  }, [location.pathname]);

  if (!session.me.authenticated) return <SignInPage />;
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <a className="brand" href="/">
          Tributary
        </a>
        <button type="button" className="menu-toggle" aria-expanded={menuOpen} aria-controls="site-nav" onClick={() => setMenuOpen((open) => !open)}>
          Menu
        </button>
        <nav id="site-nav" aria-label="Main" className={menuOpen ? 'open' : ''}>
          <ul>
            {NAV.filter((item) => !item.permission || session.can(item.permission)).map((item) => (
              <li key={item.to}>
                <NavLink to={item.to} end={item.end ?? false}>
                  {item.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<p aria-busy="true">Loading…</p>}>
        <Routes>
          <Route path="/" element={<OverviewPage />} />
          <Route path="/kpis/:id" element={<KpiDetailPage />} />
          <Route path="/contributors" element={<ContributorsPage />} />
          <Route path="/contributors/:id" element={<ContributorPage />} />
          <Route path="/organisations" element={<OrganisationsPage />} />
          <Route path="/organisations/:id" element={<OrganisationPage />} />
          <Route path="/merge-requests" element={<MergeRequestsPage />} />
          <Route path="/sources" element={<SourcesPage />} />
          <Route path="/people" element={<PeoplePage />} />
          <Route path="/people/roster" element={<RosterPage />} />
          <Route path="/settings" element={<SettingsPage />} />
          <Route path="/sign-in" element={<Navigate to="/" replace />} />
          <Route path="*" element={<p>No such page. <a href="/">Back to the overview</a>.</p>} />
        </Routes>
        </Suspense>
      </main>
    </>
  );
}

function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(async () => {
    try {
      const found = await api.me();
      setCsrfToken(found.csrfToken);
      setMe(found);
    } catch (e) {
      setError((e as Error).message);
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);

  if (error) return <p className="error" role="alert">The server does not answer: {error}</p>;
  if (!me) return <p aria-busy="true">Loading…</p>;
  const session: Session = { me, refresh, can: (permission) => me.permissions.includes(permission) };
  return (
    <SessionContext.Provider value={session}>
      <BrowserRouter>
        <Layout />
      </BrowserRouter>
    </SessionContext.Provider>
  );
}

const root = document.getElementById('root');
if (root)
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
