import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { catalogueMarkdown } from '../../src/metrics/catalogue-doc.ts';
import { runTributary } from '../helpers/cli.ts';
import { createTestDatabasePlace } from '../helpers/database.ts';

test('docs/kpi-catalogue.md is the catalogue as the code defines it', () => {
  const doc = readFileSync(new URL('../../docs/kpi-catalogue.md', import.meta.url), 'utf8');
  assert.equal(doc, catalogueMarkdown(), 'regenerate it: node bin/tributary.js kpi list --format md > docs/kpi-catalogue.md');
});

test('kpi show, explain, report and their errors through the CLI', async () => {
  const place = await createTestDatabasePlace();
  const dir = mkdtempSync(join(tmpdir(), 'tributary-kpi-cli-'));
  try {
    const records = [
      { type: 'project', platform: 'gitlab', path: 'acme/app' },
      { type: 'person', key: 'ann', name: 'Ann' },
      { type: 'person', key: 'bo', name: 'Bo' },
      { type: 'merge_request', project: 'gitlab:acme/app', number: 1, title: 'One', state: 'merged', author: 'ann', merged_at: '2024-05-02T00:00:00Z', origin: 'git' },
      { type: 'merge_request', project: 'gitlab:acme/app', number: 2, title: 'Two', state: 'merged', author: 'bo', merged_at: '2024-05-03T00:00:00Z', origin: 'git' },
      { type: 'merge_request', project: 'gitlab:acme/app', number: 3, title: 'Three', state: 'merged', author: 'ann', merged_at: '2024-06-03T00:00:00Z', origin: 'git' },
    ];
    writeFileSync(join(dir, 'data.ndjson'), records.map((r) => JSON.stringify(r)).join('\n'));
    const imported = await runTributary(['import', join(dir, 'data.ndjson')], place.env);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /KPI rollups rebuilt \(first build\)/);

    const shown = await runTributary(['kpi', 'show', 'uwcc', '--from', '2024-05', '--to', '2024-06', '--format', 'json'], place.env);
    assert.equal(shown.code, 0, shown.stderr);
    const result = JSON.parse(shown.stdout);
    assert.deepEqual(
      result.points.map((p: { period: string; value: number }) => [p.period, p.value]),
      [
        ['2024-05', 2],
        ['2024-06', 1],
      ],
    );

    const csv = await runTributary(['kpi', 'show', 'community-merged-mrs', '--from', '2024-05', '--to', '2024-06', '--format', 'csv'], place.env);
    assert.equal(csv.stdout, 'period,merge requests\n2024-05,2\n2024-06,1\n');

    const explained = await runTributary(['kpi', 'explain', 'uwcc', '2024-05', '--format', 'json'], place.env);
    assert.equal(explained.code, 0, explained.stderr);
    assert.deepEqual(
      JSON.parse(explained.stdout).rows.map((r: { merge_request: string; person: string }) => `${r.merge_request} ${r.person}`),
      ['acme/app!1 ann', 'acme/app!2 bo'],
    );

    // Git history has no opening dates: OCMA says so rather than printing 0.
    const ocma = await runTributary(['kpi', 'show', 'ocma', '--from', '2024-05', '--to', '2024-06'], place.env);
    assert.equal(ocma.code, 1);
    assert.match(ocma.stderr, /not available: no merge request in the chosen projects has an opening date/);

    const unknown = await runTributary(['kpi', 'show', 'uwc'], place.env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown KPI "uwc"; `tributary kpi list` lists them: uwcc,/);
    const badPeriod = await runTributary(['kpi', 'show', 'uwcc', '--from', '2024-13'], place.env);
    assert.equal(badPeriod.code, 1);
    assert.match(badPeriod.stderr, /from: is not a calendar date/);
    const badGrain = await runTributary(['kpi', 'show', 'uwcc', '--by', 'day'], place.env);
    assert.match(badGrain.stderr, /grain: uwcc is measured by month, quarter, year, not by day/);
    const badProject = await runTributary(['kpi', 'show', 'uwcc', '--project', 'acme/nope'], place.env);
    assert.match(badProject.stderr, /projects: no project "acme\/nope"/);

    const report = await runTributary(['report', '--month', '2024-06', '-o', dir], place.env);
    assert.equal(report.code, 0, report.stderr);
    const markdown = readFileSync(join(dir, 'report-2024-06.md'), 'utf8');
    assert.match(markdown, /# Contributor success report, June 2024/);
    assert.match(markdown, /\| \[Unique wider-community contributors\]\(#unique-wider-community-contributors\) \| 1 \| 2 \|/);
    assert.match(markdown, /## Open community MR age\n\n[^\n]+\n\n\*\*Not available:\*\* no merge request/);
    assert.ok(existsSync(join(dir, 'charts', 'uwcc.svg')));
    assert.match(readFileSync(join(dir, 'charts', 'uwcc.svg'), 'utf8'), /^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await place.remove();
  }
});
