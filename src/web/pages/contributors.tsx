import { useMemo, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api } from '../api.ts';
import { SeriesChart } from '../lazy-chart.tsx';
import { formatDay, formatNumber, Pager, PageTitle, Status, useLoad, usePager } from '../ui.tsx';

export function ContributorsPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const [text, setText] = useState(q);
  const pager = usePager();
  const loaded = useLoad(() => api.contributors({ q: q || undefined, cursor: pager.cursor, limit: '25' }), [q, pager.cursor]);
  return (
    <>
      <PageTitle>Contributors</PageTitle>
      <p className="muted">
        Looking for the team? See the <Link to="/people/roster">team roster</Link>.
      </p>
      <form
        className="filters"
        aria-label="Search"
        onSubmit={(event) => {
          event.preventDefault();
          pager.reset();
          setParams(text ? { q: text } : {});
        }}
      >
        <label>
          Name or username
          <input type="search" value={text} onChange={(event) => setText(event.target.value)} />
        </label>
        <button type="submit">Search</button>
      </form>
      <Status loaded={loaded}>
        {(data) => (
          <>
            <div className="table-wrap">
              <table>
                <caption>{q ? `Contributors matching “${q}”` : 'Contributors by name'}</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col" className="num">
                      Identities
                    </th>
                    <th scope="col" className="num">
                      Activities
                    </th>
                    <th scope="col">Last active</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((c) => (
                    <tr key={c.id}>
                      <th scope="row">
                        <Link to={`/contributors/${c.id}`}>{c.name ?? c.key ?? c.id}</Link>
                        {c.bot && <span className="tag">bot</span>}
                      </th>
                      <td className="num">{c.identities}</td>
                      <td className="num">{formatNumber(c.activities)}</td>
                      <td>{formatDay(c.lastActivityAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {data.items.length === 0 && <p>No contributor matches.</p>}
            <Pager pager={pager} nextCursor={data.nextCursor} />
          </>
        )}
      </Status>
    </>
  );
}

export function ContributorPage() {
  const { id = '' } = useParams();
  const loaded = useLoad(() => api.contributor(id), [id]);
  return (
    <>
      <p className="crumbs">
        <Link to="/contributors">Contributors</Link> ›
      </p>
      <Status loaded={loaded}>
        {(p) => <Profile profile={p} />}
      </Status>
    </>
  );
}

function Profile({ profile }: { profile: Awaited<ReturnType<typeof api.contributor>> }) {
  const months = useMemo(() => [...new Set(profile.activityByMonth.map((a) => a.month))], [profile]);
  const kinds = useMemo(() => [...new Set(profile.activityByMonth.map((a) => a.kind))], [profile]);
  const series = useMemo(
    () => kinds.map((kind) => ({ name: kind, values: months.map((m) => profile.activityByMonth.find((a) => a.month === m && a.kind === kind)?.activities ?? 0) })),
    [kinds, months, profile],
  );
  const { mergedMrs, level } = profile.experience;
  return (
    <>
      <PageTitle>{profile.name ?? profile.key ?? `Person ${profile.id}`}</PageTitle>
      {profile.canonicalId && (
        <p className="note">
          Merged into <Link to={`/contributors/${profile.canonicalId}`}>another person</Link>.
        </p>
      )}
      <dl className="facts">
        <dt>Class</dt>
        <dd>{profile.class}</dd>
        <dt>Organisation</dt>
        <dd>{profile.organisation ?? '–'}</dd>
        <dt>Level</dt>
        <dd data-level={level}>
          <span className="tag">{level}</span> {mergedMrs === 0 ? 'no merged MR yet' : `${mergedMrs.toLocaleString('en')} merged ${mergedMrs === 1 ? 'MR' : 'MRs'} of all time`}
          <span className="muted"> · the level as the <Link to="/kpis/experience-levels">experience-levels KPI</Link> counts it</span>
        </dd>
        {profile.bot && (
          <>
            <dt>Bot</dt>
            <dd>yes</dd>
          </>
        )}
      </dl>
      <section aria-labelledby="identities">
        <h2 id="identities">Identities</h2>
        <ul>
          {profile.identities.map((i) => (
            <li key={`${i.platform}:${i.kind}:${i.value}`}>
              {i.platform} {i.kind}: <strong>{i.value}</strong>
              {i.verified && <span className="tag">verified</span>}
            </li>
          ))}
        </ul>
        {profile.members.length > 1 && <p className="muted">One person made of {profile.members.length} merged records.</p>}
      </section>
      <section aria-labelledby="orgs">
        <h2 id="orgs">Organisations</h2>
        {profile.organisations.length === 0 ? (
          <p className="muted">None known.</p>
        ) : (
          <ul>
            {profile.organisations.map((o) => (
              <li key={`${o.organisation}:${o.validFrom}`}>
                {o.organisation} <span className="muted">({o.validFrom ?? '…'} – {o.validTo ?? 'now'}, {o.source})</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="activity">
        <h2 id="activity">Activity by month</h2>
        {months.length === 0 ? <p className="muted">No activity.</p> : <SeriesChart periods={months} series={series} label={`Activities by month and kind for ${profile.name ?? 'this person'}`} height={220} />}
      </section>
      <section aria-labelledby="mrs">
        <h2 id="mrs">Merge requests</h2>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Merge request</th>
                <th scope="col">State</th>
                <th scope="col">Created</th>
                <th scope="col">Merged</th>
              </tr>
            </thead>
            <tbody>
              {profile.mergeRequests.map((m) => (
                <tr key={m.id}>
                  <td>
                    {m.webUrl ? <a href={m.webUrl}>{`${m.project}!${m.number}`}</a> : `${m.project}!${m.number}`} {m.title}
                  </td>
                  <td>{m.state}</td>
                  <td>{formatDay(m.createdAt)}</td>
                  <td>{formatDay(m.mergedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
