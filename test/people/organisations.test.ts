import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Database } from '../../src/db/connection.ts';
import {
  affiliateFromProfile,
  domainCandidates,
  enroll,
  exportEnrollmentsCsv,
  exportOrganisationsCsv,
  IdentityCollector,
  type IdentitySighting,
  InputError,
  importEnrollmentsCsv,
  importOrganisationsCsv,
  isPublicMailDomain,
  listOrganisations,
  mergePeople,
  organisationAt,
  organisationRootSql,
  parseCsv,
  resolveIdentities,
  unmergePeople,
} from '../../src/people/index.ts';
import { engineName, openTestDatabase, snapshot } from '../helpers/database.ts';

const at = (day: string) => new Date(`${day}T12:00:00Z`);

describe(`organisations and affiliations (${engineName})`, () => {
  let db: Database;
  const see = async (...sightings: IdentitySighting[]) => {
    const collector = new IdentityCollector();
    for (const s of sightings) collector.see(s);
    await collector.save(db);
  };
  before(async () => {
    db = await openTestDatabase();
  });
  after(async () => {
    await db.close();
  });

  test('public mail providers come from a maintained list (email-providers), forge noreply domains too', () => {
    for (const domain of ['gmail.com', 'GMAIL.com', 'outlook.com', 'yahoo.com', 'proton.me', 'qq.com', 'users.noreply.github.com', 'users.noreply.gitlab.com']) {
      assert.equal(isPublicMailDomain(domain), true, domain);
    }
    for (const domain of ['gitlab-corp.example', 'acme.io', 'mail.acme.io']) assert.equal(isPublicMailDomain(domain), false, domain);
    assert.equal(isPublicMailDomain('fastmail.com', ['fastmail.com']), true);
  });

  test('organisations from CSV, with ARR and parents, exported the same; bad rows name line and field and write nothing', async () => {
    const csv = 'name,domains,arr,parent\nGlobex,globex.example;globex-corp.example,1200000.50,\n"Globex Labs, Inc.",labs.globex.example,,Globex\nInitech,initech.example gmail.com,300000,\n';
    assert.equal(await importOrganisationsCsv(db, csv), 3);
    const organisations = await listOrganisations(db);
    assert.deepEqual(
      organisations.map((o) => [o.name, o.domains, o.arr, o.parent]),
      [
        ['Globex', ['globex.example', 'globex-corp.example'], '1200000.50', null],
        ['Globex Labs, Inc.', ['labs.globex.example'], null, 'Globex'],
        ['Initech', ['initech.example', 'gmail.com'], '300000', null],
      ],
    );
    assert.equal(await exportOrganisationsCsv(db), 'name,domains,arr,parent\nGlobex,globex.example globex-corp.example,1200000.50,\n"Globex Labs, Inc.",labs.globex.example,,Globex\nInitech,initech.example gmail.com,300000,\n');
    const roots = await db.query<{ name: string; root: string }>(
      `SELECT o.name, r.name AS root FROM (${organisationRootSql}) x JOIN organisations o ON o.id = x.organisation_id JOIN organisations r ON r.id = x.root_id ORDER BY o.name`,
    );
    assert.deepEqual(roots.map((r) => [r.name, r.root]), [['Globex', 'Globex'], ['Globex Labs, Inc.', 'Globex'], ['Initech', 'Initech']]);

    const before = await snapshot(db);
    const bad: [string, RegExp][] = [
      ['name,domains,arr,parent\nHooli,hooli.example,1e6,\n', /^Error: line 2, field "arr": must be a non-negative number/],
      ['name,domains\nHooli,hooli.example\nPied Piper,not a domain!\n', /^Error: line 3, field "domains": "not" is not a domain name/],
      ['name,domains,arr,parent\nHooli,,,Nobody\n', /unknown parent organisation "Nobody"/],
      ['name,size\nHooli,3\n', /^Error: line 1, field "size": unknown column/],
      ['name\nHooli\nhooli\n', /^Error: line 3, field "name": "hooli" is already on line 2/],
      ['name,domains\n"Hooli,hooli.example\n', /^Error: line 2: a quoted field is not closed/],
      ['name,domains\nHooli\n', /^Error: line 2: expected 2 fields as in the header, found 1/],
    ];
    for (const [text, message] of bad) await assert.rejects(importOrganisationsCsv(db, text), message);
    assert.deepEqual(await snapshot(db), before, 'nothing was written');
  });

  test('e-mail domains affiliate people with their organisation, never through a public provider', async () => {
    await see(
      { platform: 'git', kind: 'email', value: 'ann@globex.example' },
      { platform: 'git', kind: 'email', value: 'ben@labs.globex.example' },
      { platform: 'git', kind: 'email', value: 'cat@gmail.com' },
      { platform: 'git', kind: 'email', value: 'dan@initech.example' },
      { platform: 'git', kind: 'email', value: 'eve@hooli.example' },
      { platform: 'git', kind: 'email', value: 'fay@hooli.example' },
    );
    const stats = await resolveIdentities(db);
    assert.equal(stats.affiliations, 3);
    assert.deepEqual(await organisationAt(db, 'git:email:ann@globex.example', at('2020-01-01')), { organisation: 'Globex', source: 'email_domain' });
    assert.deepEqual(await organisationAt(db, 'git:email:ben@labs.globex.example', at('2020-01-01')), { organisation: 'Globex Labs, Inc.', source: 'email_domain' });
    assert.equal(await organisationAt(db, 'git:email:cat@gmail.com', at('2020-01-01')), null, 'Initech lists gmail.com, which is ignored');
    assert.deepEqual(await domainCandidates(db), [{ domain: 'hooli.example', people: 2 }]);
    // An organisation added later picks up the people already there; a domain taken away lets them go.
    await importOrganisationsCsv(db, 'name,domains\nHooli,hooli.example\n');
    assert.deepEqual(await organisationAt(db, 'git:email:eve@hooli.example', at('2020-01-01')), { organisation: 'Hooli', source: 'email_domain' });
    assert.deepEqual(await domainCandidates(db), []);
    await importOrganisationsCsv(db, 'name,domains\nHooli,\n');
    assert.equal(await organisationAt(db, 'git:email:eve@hooli.example', at('2020-01-01')), null);
  });

  test('manual enrollments have dates and win over e-mail domains; periods are half-open', async () => {
    await enroll(db, [
      { person: 'git:email:ann@globex.example', organisation: 'Initech', from: '2021-01-01', to: '2022-01-01' },
      { person: 'git:email:ann@globex.example', organisation: 'globex labs, inc.', from: '2022-01-01' },
    ]);
    const ann = 'git:email:ann@globex.example';
    assert.deepEqual(await organisationAt(db, ann, at('2020-12-31')), { organisation: 'Globex', source: 'email_domain' });
    assert.deepEqual(await organisationAt(db, ann, new Date('2021-01-01T00:00:00Z')), { organisation: 'Initech', source: 'manual' });
    assert.deepEqual(await organisationAt(db, ann, at('2021-12-31')), { organisation: 'Initech', source: 'manual' });
    assert.deepEqual(await organisationAt(db, ann, new Date('2022-01-01T00:00:00Z')), { organisation: 'Globex Labs, Inc.', source: 'manual' });
    // Enrolling again with the same start changes the end.
    await enroll(db, [{ person: ann, organisation: 'Globex Labs, Inc.', from: '2022-01-01', to: '2023-01-01' }]);
    assert.deepEqual(await organisationAt(db, ann, at('2023-06-01')), { organisation: 'Globex', source: 'email_domain' });
    await assert.rejects(enroll(db, [{ person: ann, organisation: 'Initech', from: '2022-02-30' }]), /valid_from must be a date/);
    await assert.rejects(enroll(db, [{ person: ann, organisation: 'Initech', from: '2022-02-01', to: '2022-01-01' }]), /must be after valid_from/);
    await assert.rejects(enroll(db, [{ person: ann, organisation: 'Nowhere' }]), /no organisation named "Nowhere"/);
  });

  test("a merged person's affiliations count for the canonical person, and stop counting after an unmerge", async () => {
    const merge = await mergePeople(db, 'git:email:ann@globex.example', 'git:email:cat@gmail.com');
    assert.deepEqual(await organisationAt(db, 'git:email:cat@gmail.com', at('2021-06-01')), { organisation: 'Initech', source: 'manual' });
    await unmergePeople(db, { mergeId: merge.id });
    assert.equal(await organisationAt(db, 'git:email:cat@gmail.com', at('2021-06-01')), null);
  });

  test('enrollments as CSV, all rows or none', async () => {
    const before = await snapshot(db);
    await assert.rejects(
      importEnrollmentsCsv(db, 'person,organisation,valid_from,valid_to\ngit:email:dan@initech.example,Globex,2020-01-01,\ngit:email:dan@initech.example,Globex,2020-13-01,\n'),
      /^Error: line 3, field "valid_from": must be a date/,
    );
    await assert.rejects(importEnrollmentsCsv(db, 'person,organisation\nnobody,Globex\n'), (error: unknown) => error instanceof InputError && error.line === 2 && error.field === 'person');
    assert.deepEqual(await snapshot(db), before);
    assert.equal(await importEnrollmentsCsv(db, 'person,organisation,valid_from,valid_to\ngit:email:dan@initech.example,Globex,2020-01-01,2021-01-01\n'), 1);
    const exported = await exportEnrollmentsCsv(db);
    assert.match(exported, /^person,organisation,valid_from,valid_to,source\n/);
    assert.match(exported, /\ngit:email:dan@initech.example,Globex,2020-01-01,2021-01-01,manual\n/);
    assert.doesNotMatch(exported, /email_domain/, 'derived affiliations are not exported');
  });

  test('profile organisation fields match organisations loosely, or create one', async () => {
    await see({ platform: 'gitlab', kind: 'username', value: 'gil' }, { platform: 'gitlab', kind: 'username', value: 'hana' });
    assert.equal(await affiliateFromProfile(db, 'gitlab:username:gil', '@initech  Inc.'), 'Initech');
    assert.equal(await affiliateFromProfile(db, 'gitlab:username:hana', 'Umbrella GmbH'), 'Umbrella GmbH');
    assert.equal(await affiliateFromProfile(db, 'gitlab:username:hana', '  '), null);
    assert.deepEqual(await organisationAt(db, 'gitlab:username:gil', at('2024-01-01')), { organisation: 'Initech', source: 'profile' });
  });

  test('CSV parsing: quotes, doubled quotes, line breaks inside quotes, CRLF, BOM', () => {
    const records = parseCsv('\ufeffname,note\r\n"A, B","say ""hi"""\r\n\r\nC,"two\nlines"\n');
    assert.deepEqual(records, [
      { line: 2, values: { name: 'A, B', note: 'say "hi"' } },
      { line: 4, values: { name: 'C', note: 'two\nlines' } },
    ]);
    assert.throws(() => parseCsv('a,b\nx,y"z\n'), /^Error: line 2: a quote inside an unquoted field/);
  });
});
