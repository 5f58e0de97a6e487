import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createUser } from '../../src/auth/users.ts';
import type { Database } from '../../src/db/connection.ts';
import { generateNdjsonLines } from '../../src/generator/community.ts';
import { importNdjson } from '../../src/interchange/import.ts';
import { refreshRollups } from '../../src/metrics/rollups.ts';
import { type RunningServer, startServer } from '../../src/server/serve.ts';
import { DEFAULT_WEB_ROOT } from '../../src/server/web.ts';
import { openTestDatabase } from '../helpers/database.ts';

process.env.TRIBUTARY_SCRYPT_COST ??= '1024';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTEFACTS = resolve(import.meta.dirname, '../../test-artefacts/web');
const EMAIL = 'admin@tributary.test';
const PASSWORD = 'correct horse battery staple';
const missing = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt install chromium, or set CHROMIUM_PATH): browser tests skipped`;

if (missing) process.stderr.write(`${missing}\n`);

describe('the web app in a browser', { skip: missing }, () => {
  let db: Database;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let step = 0;

  const shot = async (name: string, target: Page = page) => {
    step += 1;
    const path = join(ARTEFACTS, `${String(step).padStart(2, '0')}-${name}.png`);
    await target.screenshot({ path, fullPage: true });
  };

  before(async () => {
    // npm install builds the app (prepare); a checkout that skipped it gets it built here.
    if (!existsSync(join(DEFAULT_WEB_ROOT, 'index.html'))) execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { stdio: 'inherit' });
    await rm(ARTEFACTS, { recursive: true, force: true });
    await mkdir(ARTEFACTS, { recursive: true });
    db = await openTestDatabase();
    await importNdjson(db, Readable.from(generateNdjsonLines({ seed: 'server', mergeRequests: 400, activities: 3000, people: 200 })));
    await refreshRollups(db);
    await createUser(db, { email: EMAIL, name: 'The admin', role: 'admin', password: PASSWORD });
    // Plain http on loopback: browsers refuse __Host- cookies without TLS, as `serve --insecure-cookies` knows.
    server = await startServer({ db, port: 0, host: '127.0.0.1', secureCookies: false, allowedOrigins: [], logger: pino({ level: 'silent' }) });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    await server?.close(1000);
    await db?.close();
    process.stdout.write(`screenshots: ${ARTEFACTS}\n`);
  });

  test('sign in, read a KPI, drill down, open a contributor, merge two people, see the KPI change', async () => {
    // A month where the wider community counted two different people: merging them must make it one.
    const series = (await (await fetch(`${server.url}/api/v1/kpis/uwcc`)).json()) as { points: { period: string; value: number | null }[] };
    const period = [...series.points].reverse().find((p) => (p.value ?? 0) >= 2)?.period;
    assert.ok(period, 'the generated community has a month with two wider-community contributors');

    await page.goto(server.url);
    await page.getByLabel('E-mail').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await shot('sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    const card = page.locator('[data-kpi="uwcc"] .number');
    await card.waitFor();
    assert.match((await card.textContent()) ?? '', /^\d+$/);
    await page.locator('.chart svg').first().waitFor();
    await shot('overview');

    await page.getByRole('link', { name: 'Unique wider-community contributors' }).first().click();
    await page.getByRole('heading', { name: 'Unique wider-community contributors', level: 1 }).waitFor();
    const cell = page.locator(`td[data-period="${period}"]`);
    const before = Number(await cell.textContent());
    assert.ok(before >= 2);
    await page.getByRole('button', { name: `Show the rows behind ${period}` }).click();
    const rows = page.locator('.explain tbody tr');
    await rows.first().waitFor();
    assert.ok((await rows.count()) >= 2);
    await shot('kpi-drill-down');

    // Two different people behind the value, by their person keys (an admin sees them).
    const keys = [...new Set(await page.locator('.explain tbody td a[href^="/contributors?q="]').allTextContents())];
    const people = keys.filter((k) => !k.includes(' '));
    assert.ok(people.length >= 2, `two people behind ${period}: ${keys.join(', ')}`);
    const [into, from] = people as [string, string];

    await page.locator('.explain tbody td a', { hasText: new RegExp(`^${from}$`) }).first().click();
    await page.getByRole('heading', { name: 'Contributors', level: 1 }).waitFor();
    await page.locator('tbody th a').first().click();
    await page.getByRole('heading', { name: 'Identities' }).waitFor();
    await shot('contributor');

    await page.getByRole('link', { name: 'People admin' }).click();
    await page.getByRole('heading', { name: 'People administration' }).waitFor();
    await page.getByLabel('Merge (id, key or identity)').fill(from);
    await page.getByLabel('Into', { exact: true }).fill(into);
    await page.getByRole('button', { name: 'Merge', exact: true }).click();
    await page.getByText(/^Merged person \d+ into \d+/).waitFor();
    await shot('merged');

    // No background worker runs here: refresh the rollups as it (or `tributary kpi refresh`) would.
    await refreshRollups(db);
    await page.goto(`${server.url}/kpis/uwcc?period=${period}`);
    await cell.waitFor();
    assert.equal(Number(await cell.textContent()), before - 1, `uwcc in ${period} counts the merged people once`);
    await page.locator('.explain tbody tr').first().waitFor();
    await shot('kpi-after-merge');
  });

  test('the team roster lists who is on the team; settings make an API token, show it once, and revoke it', async () => {
    await page.goto(`${server.url}/people`);
    await page.getByRole('heading', { name: 'Team roster', level: 2 }).waitFor();
    await page.goto(`${server.url}/people/roster`);
    await page.getByRole('heading', { name: 'Team roster', level: 1 }).waitFor();
    const members = page.locator('table.roster tbody tr');
    await members.first().waitFor();
    assert.ok((await members.count()) >= 1, 'the generated community has a team');
    await page.getByLabel('MR coaches only').check();
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('table.roster caption', { hasText: 'MR coaches' }).waitFor();
    await shot('roster');

    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Your API tokens' }).waitFor();
    await page.getByLabel('Token name').fill('browser test');
    await page.getByLabel('Expires').selectOption('30');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = page.locator('[data-secret]');
    await secret.waitFor();
    const token = ((await secret.textContent()) ?? '').trim();
    assert.match(token, /^trb_[A-Za-z0-9]{12}_/);
    const asToken = () => fetch(`${server.url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(((await (await asToken()).json()) as { user: { email: string } }).user.email, EMAIL, 'the token works, for its maker');
    await page.locator('table.tokens tbody tr', { hasText: 'browser test' }).waitFor();
    await shot('token-created');

    await page.getByRole('button', { name: 'Done' }).click();
    assert.equal(await secret.count(), 0, 'the secret is shown once');
    await page.getByRole('button', { name: 'Revoke the token browser test' }).click();
    await page.getByText('Revoked the token “browser test”').waitFor();
    await page.locator('table.tokens tbody tr', { hasText: 'browser test' }).getByText(/^revoked /).waitFor();
    assert.equal((await asToken()).status, 401, 'a revoked token stops working at once');
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await shot('token-revoked');
  });

  test('the sign-in page and the lists load no chart code; a page with a chart does', async () => {
    const fresh = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      const scripts: string[] = [];
      fresh.on('request', (request) => {
        if (request.resourceType() === 'script') scripts.push(new URL(request.url()).pathname);
      });
      await fresh.goto(server.url);
      await fresh.getByRole('button', { name: 'Sign in' }).waitFor();
      await fresh.context().addCookies(await page.context().cookies());
      await fresh.goto(`${server.url}/contributors`);
      await fresh.locator('tbody th a').first().waitFor();
      await fresh.goto(`${server.url}/merge-requests`);
      await fresh.getByRole('heading', { name: 'Merge requests', level: 1 }).waitFor();
      await fresh.waitForLoadState('networkidle');
      assert.ok(!scripts.some((s) => s.includes('/chart-')), `no chart chunk yet: ${scripts.join(', ')}`);
      await fresh.goto(server.url);
      await fresh.locator('.chart svg').first().waitFor();
      assert.ok(
        scripts.some((s) => s.includes('/chart-')),
        `the overview fetched the chart chunk: ${scripts.join(', ')}`,
      );
    } finally {
      await fresh.close();
    }
  });

  test('the overview is keyboard accessible: Tab reaches the skip link, the navigation and the KPIs', async () => {
    await page.goto(server.url);
    await page.locator('[data-kpi="uwcc"]').waitFor();
    const reached: string[] = [];
    for (let i = 0; i < 15; i++) {
      await page.keyboard.press('Tab');
      reached.push(await page.evaluate<string>("document.activeElement.tagName + ':' + (document.activeElement.textContent || '').trim()"));
    }
    assert.equal(reached[0], 'A:Skip to content');
    for (const wanted of ['A:Contributors', 'A:People admin', 'SELECT:', 'A:Unique wider-community contributors']) {
      assert.ok(
        reached.some((r) => r.startsWith(wanted)),
        `Tab reaches ${wanted}: ${reached.join(' | ')}`,
      );
    }
    const outline = await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle');
    assert.notEqual(outline, 'none', 'the focused element shows it');
    await shot('keyboard-focus');
  });

  test('a 375 px wide phone screen needs no horizontal scrolling', async () => {
    const phone = await browser.newPage({ viewport: { width: 375, height: 800 } });
    try {
      await phone.context().addCookies(await page.context().cookies());
      for (const path of ['/', '/kpis/uwcc', '/contributors', '/merge-requests', '/people', '/people/roster', '/settings']) {
        await phone.goto(`${server.url}${path}`);
        await phone.locator('main h1').waitFor();
        await phone.waitForLoadState('networkidle');
        const width = await phone.evaluate<number>('document.documentElement.scrollWidth');
        assert.ok(width <= 375, `${path} is ${width} px wide at 375 px`);
      }
      await phone.getByRole('button', { name: 'Menu' }).click();
      await phone.getByRole('link', { name: 'Contributors' }).waitFor();
      await shot('phone-menu', phone);
    } finally {
      await phone.close();
    }
  });
});
