import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api } from '../api.ts';
import { useSession } from '../session.ts';
import { ErrorNote, formatDay, Pager, PageTitle, Status, useLoad, usePager } from '../ui.tsx';

export function OrganisationsPage() {
  const [q, setQ] = useState('');
  const [text, setText] = useState('');
  const pager = usePager();
  const loaded = useLoad(() => api.organisations({ q: q || undefined, cursor: pager.cursor, limit: '25' }), [q, pager.cursor]);
  return (
    <>
      <PageTitle>Organisations</PageTitle>
      <form
        className="filters"
        aria-label="Search"
        onSubmit={(event) => {
          event.preventDefault();
          pager.reset();
          setQ(text);
        }}
      >
        <label>
          Name
          <input type="search" value={text} onChange={(event) => setText(event.target.value)} />
        </label>
        <button type="submit">Search</button>
      </form>
      <Status loaded={loaded}>
        {(data) => (
          <>
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Organisation</th>
                    <th scope="col">Domains</th>
                    <th scope="col" className="num">
                      People
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((o) => (
                    <tr key={o.id}>
                      <th scope="row">
                        <Link to={`/organisations/${o.id}`}>{o.name}</Link>
                        {o.parent && <span className="muted"> (part of {o.parent})</span>}
                      </th>
                      <td>{o.domains.join(', ')}</td>
                      <td className="num">{o.people}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager pager={pager} nextCursor={data.nextCursor} />
          </>
        )}
      </Status>
    </>
  );
}

export function OrganisationPage() {
  const { id = '' } = useParams();
  const loaded = useLoad(() => api.organisation(id), [id]);
  return (
    <>
      <p className="crumbs">
        <Link to="/organisations">Organisations</Link> ›
      </p>
      <Status loaded={loaded}>
        {(o) => (
          <>
            <PageTitle>{o.name}</PageTitle>
            <p className="muted">
              {o.domains.join(', ') || 'No domains'} · {o.people} people
            </p>
            <ul>
              {o.members.map((m) => (
                <li key={`${m.id}:${m.validFrom}`}>
                  <Link to={`/contributors/${m.id}`}>{m.name ?? m.id}</Link>{' '}
                  <span className="muted">
                    ({m.validFrom ?? '…'} – {m.validTo ?? 'now'})
                  </span>
                </li>
              ))}
            </ul>
          </>
        )}
      </Status>
    </>
  );
}

const MR_VIEWS = [
  { id: 'community', label: 'Community', query: { community: 'true' } },
  { id: 'open', label: 'Open', query: { state: 'open' } },
  { id: 'idle', label: 'Idle (14 days)', query: { idle: 'true' } },
  { id: 'all', label: 'All', query: {} },
] as const;

export function MergeRequestsPage() {
  const [params, setParams] = useSearchParams();
  const view = MR_VIEWS.find((v) => v.id === params.get('view')) ?? MR_VIEWS[0];
  const pager = usePager();
  const loaded = useLoad(() => api.mergeRequests({ ...view.query, cursor: pager.cursor, limit: '25' }), [view.id, pager.cursor]);
  return (
    <>
      <PageTitle>Merge requests</PageTitle>
      <fieldset className="segmented">
        <legend>Show</legend>
        {MR_VIEWS.map((v) => (
          <button
            key={v.id}
            type="button"
            aria-pressed={v.id === view.id}
            onClick={() => {
              pager.reset();
              setParams({ view: v.id });
            }}
          >
            {v.label}
          </button>
        ))}
      </fieldset>
      <Status loaded={loaded}>
        {(data) => (
          <>
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Merge request</th>
                    <th scope="col">Author</th>
                    <th scope="col">State</th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((m) => (
                    <tr key={m.id}>
                      <td>
                        {m.webUrl ? <a href={m.webUrl}>{`${m.project}!${m.number}`}</a> : `${m.project}!${m.number}`} {m.title}
                      </td>
                      <td>
                        {m.author ? <Link to={`/contributors/${m.author.id}`}>{m.author.name ?? m.author.id}</Link> : '–'}
                        {m.class && <span className="tag">{m.class}</span>}
                      </td>
                      <td>{m.state}</td>
                      <td>{formatDay(m.updatedAt ?? m.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {data.items.length === 0 && <p>None.</p>}
            <Pager pager={pager} nextCursor={data.nextCursor} />
          </>
        )}
      </Status>
    </>
  );
}

export function SourcesPage() {
  const session = useSession();
  const loaded = useLoad(() => api.sources(), []);
  const [message, setMessage] = useState<string>('');
  const [error, setError] = useState<Error | null>(null);
  const syncNow = async (name: string) => {
    setError(null);
    try {
      const request = await api.syncNow(name);
      setMessage(`Sync of ${name} requested at ${request.requestedAt.slice(0, 16).replace('T', ' ')}; the worker will run it.`);
      loaded.reload();
    } catch (e) {
      setError(e as Error);
    }
  };
  return (
    <>
      <PageTitle>Sources</PageTitle>
      <p role="status">{message}</p>
      {error && <ErrorNote error={error} />}
      <Status loaded={loaded}>
        {(data) =>
          data.items.length === 0 ? (
            <p>No sources yet: this data was imported. Add one with <code>npx tributary sources add</code>.</p>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Source</th>
                    <th scope="col">Last sync</th>
                    <th scope="col">Last error</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((s) => (
                    <tr key={s.id}>
                      <th scope="row">
                        {s.name} <span className="muted">({s.kind})</span>
                      </th>
                      <td>{s.lastFinishedAt ? s.lastFinishedAt.slice(0, 16).replace('T', ' ') : 'never'}</td>
                      <td className={s.lastError ? 'error' : ''}>{s.lastError ?? '–'}</td>
                      <td>
                        {s.pendingSync ? (
                          <span>waiting since {s.pendingSync.requestedAt.slice(11, 16)}</span>
                        ) : session.can('sources:sync') ? (
                          <button type="button" onClick={() => syncNow(s.name)}>
                            Sync now
                          </button>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Status>
    </>
  );
}
