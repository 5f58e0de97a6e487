import { StrictMode, useCallback, useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, NavLink, Route, Routes, useLocation } from 'react-router';
import { api, type Me, setCsrfToken } from './api.ts';
import { ContributorPage, ContributorsPage } from './pages/contributors.tsx';
import { KpiDetailPage, OverviewPage } from './pages/kpis.tsx';
import { MergeRequestsPage, OrganisationPage, OrganisationsPage, SourcesPage } from './pages/lists.tsx';
import { PeoplePage, SettingsPage, SignInPage } from './pages/people.tsx';
import { type Session, SessionContext, useSession } from './session.ts';

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
          <Route path="/settings" element={<SettingsPage />} />
          <Route path="/sign-in" element={<Navigate to="/" replace />} />
          <Route path="*" element={<p>No such page. <a href="/">Back to the overview</a>.</p>} />
        </Routes>
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
