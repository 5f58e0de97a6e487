import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { api, type RosterEntry } from '../api.ts';
import { useSession } from '../session.ts';
import { ErrorNote, formatDay, Pager, PageTitle, Status, useLoad, usePager } from '../ui.tsx';

const todayUtc = () => new Date().toISOString().slice(0, 10);

/** The team on a day, with who coaches what, their load and who is away; filters by day, name and coaches. */
export function RosterTable() {
  const [at, setAt] = useState(todayUtc());
  const [text, setText] = useState('');
  const [filters, setFilters] = useState({ at: todayUtc(), q: '', coaches: false });
  const pager = usePager();
  const loaded = useLoad(
    () => api.roster({ at: filters.at, q: filters.q || undefined, coaches: filters.coaches ? 'true' : undefined, cursor: pager.cursor, limit: '25' }),
    [filters, pager.cursor],
  );
  const [coachesOnly, setCoachesOnly] = useState(false);
  return (
    <>
      <form
        className="filters"
        aria-label="Roster filters"
        onSubmit={(event) => {
          event.preventDefault();
          pager.reset();
          setFilters({ at: at || todayUtc(), q: text.trim(), coaches: coachesOnly });
        }}
      >
        <label>
          On the day
          <input type="date" value={at} onChange={(event) => setAt(event.target.value)} required />
        </label>
        <label>
          Name or username
          <input type="search" value={text} onChange={(event) => setText(event.target.value)} />
        </label>
        <label className="inline">
          <input type="checkbox" checked={coachesOnly} onChange={(event) => setCoachesOnly(event.target.checked)} /> MR coaches only
        </label>
        <button type="submit">Show</button>
      </form>
      <Status loaded={loaded}>
        {(data) => (
          <>
            <div className="table-wrap">
              <table className="roster">
                <caption>
                  {filters.coaches ? 'MR coaches' : 'Team members'} on {filters.at}
                  {filters.q ? ` matching “${filters.q}”` : ''}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Title</th>
                    <th scope="col">Roles</th>
                    <th scope="col" className="num">
                      Load / capacity
                    </th>
                    <th scope="col">Out of office</th>
                    <th scope="col">Groups</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((m) => (
                    <RosterRow key={m.personId} member={m} />
                  ))}
                </tbody>
              </table>
            </div>
            {data.items.length === 0 && <p>Nobody on the team {filters.q || filters.coaches ? 'matches' : 'on that day'}. Import a roster with <code>npx tributary roster import</code>.</p>}
            <Pager pager={pager} nextCursor={data.nextCursor} />
          </>
        )}
      </Status>
    </>
  );
}

function RosterRow({ member: m }: { member: RosterEntry }) {
  const away = m.outOfOffice;
  return (
    <tr data-person={m.personId}>
      <th scope="row">
        <Link to={`/contributors/${m.personId}`}>{m.name ?? m.username?.value ?? m.key ?? m.personId}</Link>
        {m.username && (
          <div className="muted">
            @{m.username.value}
            {m.username.platform !== 'gitlab' ? ` (${m.username.platform})` : ''}
          </div>
        )}
      </th>
      <td>
        {m.title ?? '–'}
        {m.department && <div className="muted">{m.department}</div>}
        <div className="muted">since {m.validFrom ?? 'always'}{m.validTo ? `, until ${m.validTo}` : ''}</div>
      </td>
      <td>
        {m.coach ? <span className="tag">MR coach: {m.coach}</span> : null}
        {m.roles
          .filter((r) => r.role !== 'coach')
          .map((r) => (
            <span key={r.role} className="tag">
              {r.role}
              {r.specialty ? `: ${r.specialty}` : ''}
            </span>
          ))}
        {!m.coach && m.roles.length === 0 && '–'}
      </td>
      <td className="num">{m.coach ? `${m.openReviews ?? 0} / ${m.capacity ?? 'default'}` : m.capacity !== null ? `– / ${m.capacity}` : '–'}</td>
      <td>{away ? `until ${away.validTo ?? 'further notice'}${away.note ? ` (${away.note})` : ''}` : '–'}</td>
      <td>
        {m.groups.length === 0
          ? '–'
          : m.groups.map((g) => (
              <div key={`${g.platform}:${g.group}`}>
                {g.group}
                <span className="muted"> since {formatDay(g.validFrom)}</span>
              </div>
            ))}
      </td>
    </tr>
  );
}

/** The roster on its own page, for every reader (coaches look up who is available). */
export function RosterPage() {
  return (
    <>
      <PageTitle>Team roster</PageTitle>
      <p className="muted">The team on a day, from the imported rosters and forge groups: who coaches what, their open reviews against their capacity, and who is away.</p>
      <RosterTable />
    </>
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
      <section aria-labelledby="roster">
        <h2 id="roster">Team roster</h2>
        <RosterTable />
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
