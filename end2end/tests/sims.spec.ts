import { expect, test, type Page } from '@playwright/test';
import { expectNoViolations } from './support/a11y';
import { submitForm } from './support/auth';
import { mainHeading, waitForHydration } from './support/portal';

/** The ICCID links of the list's rows, in page order. */
const iccidLinks = (page: Page) => page.locator('table.sim-table tbody tr td a[href^="/sims/"]');

/** The id of the first SIM of a list URL whose row shows `status` (a status class). */
async function firstSimWith(page: Page, query: string): Promise<{ id: string; iccid: string }> {
  await page.goto(`/sims?${query}`);
  const link = iccidLinks(page).first();
  await expect(link).toBeVisible();
  const href = (await link.getAttribute('href')) ?? '';
  return { id: href.split('/').pop() ?? '', iccid: (await link.textContent())?.trim() ?? '' };
}

test.describe('SIM list', () => {
  test('filters live in the URL, render on the server and survive Back', async ({ page }) => {
    await page.goto('/sims');
    await expect(mainHeading(page)).toHaveText('SIMs');
    await expect(page.locator('p.count')).toContainText('SIMs match');
    await page.getByLabel('Activated', { exact: true }).check();
    await submitForm(page, page.getByRole('button', { name: 'Apply filters', exact: true }));
    expect(new URL(page.url()).searchParams.getAll('status')).toEqual(['activated']);
    const rows = page.locator('table.sim-table tbody tr');
    await expect(rows.first()).toBeVisible();
    for (const badge of await page.locator('table.sim-table tbody .status').allTextContents()) {
      expect(badge).toBe('Activated');
    }
    // Sorting by a column keeps the filter; Back returns to the previous list.
    await submitForm(page, page.getByRole('link', { name: /Data used/ }));
    expect(new URL(page.url()).searchParams.get('sort')).toBe('data');
    expect(new URL(page.url()).searchParams.getAll('status')).toEqual(['activated']);
    await expect(page.locator('th[aria-sort="ascending"]')).toContainText('Data used');
    await page.goBack();
    expect(new URL(page.url()).searchParams.get('sort')).toBe('iccid');
    await expect(page.getByLabel('Activated', { exact: true })).toBeChecked();
  });

  test('with JavaScript the list follows the search as it is typed, and the address with it', async ({ page }) => {
    await page.goto('/sims');
    await waitForHydration(page);
    const iccid = (await iccidLinks(page).nth(7).textContent())?.trim() ?? '';
    let loads = 0;
    page.on('load', () => loads++);
    await page.getByLabel('Search', { exact: true }).pressSequentially(iccid, { delay: 20 });
    await expect(page).toHaveURL(new RegExp(`q=${iccid}`));
    await expect(iccidLinks(page)).toHaveCount(1);
    await expect(iccidLinks(page).first()).toHaveText(iccid);
    await expect(page.locator('p.count')).toHaveText('1 SIM matches.');
    expect(loads, 'no page load: the results were swapped in').toBe(0);
    // The address is the list: a reload shows the same.
    await page.reload();
    await expect(iccidLinks(page)).toHaveCount(1);
  });

  test('next and previous pages follow the keyset without repeats', async ({ page }) => {
    await page.goto('/sims?size=25');
    const first = await iccidLinks(page).allTextContents();
    expect(first).toHaveLength(25);
    await submitForm(page, page.getByRole('link', { name: 'Next page', exact: true }));
    const second = await iccidLinks(page).allTextContents();
    expect(second).toHaveLength(25);
    expect(second.filter((i) => first.includes(i))).toEqual([]);
    expect([...first, ...second]).toEqual([...first, ...second].sort());
    await submitForm(page, page.getByRole('link', { name: 'Previous page', exact: true }));
    expect(await iccidLinks(page).allTextContents()).toEqual(first);
  });

  test('a bad address explains itself instead of failing', async ({ page }) => {
    const res = await page.goto('/sims?status=frozen&size=9999&activated_from=2026-02-30');
    expect(res?.status()).toBe(422);
    const alert = page.locator('.notice.error[role="alert"]');
    await expect(alert).toContainText('“frozen” is not one of the values');
    await expect(alert).toContainText('choose 25, 50, 100 or 250');
    await expect(alert).toContainText('is not a date');
    await expectNoViolations(page);
  });

  test('the list and its forms have no axe violations', async ({ page }) => {
    await page.goto('/sims?status=activated');
    await waitForHydration(page);
    await page.locator('details.more-filters > summary').click();
    await page.locator('details.bulk > summary').click();
    await page.locator('details.column-picker > summary').click();
    await expectNoViolations(page);
  });

  test('at phone width only the table scrolls, not the page', async ({ page }) => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto('/sims');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });

  test('works without JavaScript: search and export links are plain GETs', async ({ browser }, testInfo) => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      storageState: testInfo.project.use.storageState as string,
    });
    const page = await context.newPage();
    await page.goto('/sims');
    const iccid = (await iccidLinks(page).nth(3).textContent())?.trim() ?? '';
    await page.getByLabel('Search', { exact: true }).fill(iccid.slice(0, 18));
    await page.getByRole('button', { name: 'Apply filters', exact: true }).click();
    await expect(page).toHaveURL(/q=/);
    await expect(iccidLinks(page).filter({ hasText: iccid })).toHaveCount(1);
    const csv = await page.request.get('/sims.csv?q=' + iccid.slice(0, 18));
    expect(csv.headers()['content-type']).toContain('text/csv');
    expect((await csv.text()).split('\r\n')[0]).toContain('iccid');
    await context.close();
  });

  test('an export of the current filter shows its progress to the end', async ({ page }) => {
    await page.goto('/sims?status=activated');
    await waitForHydration(page);
    const count = ((await page.locator('p.count').textContent()) ?? '').match(/[\d,]+/)?.[0] ?? '';
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Export CSV', exact: true }).click();
    const file = await download;
    expect(file.url()).toMatch(/\/sims\.csv\?status=activated&progress=[0-9a-f]{24}$/);
    const status = page.locator('.export-progress');
    await expect(status).toContainText(`Export finished: ${count} SIMs.`);
    await expect(status.locator('progress')).toHaveAttribute('value', /\d+/);
    await expectNoViolations(page);
  });

  test('columns can be chosen and reordered, and stay chosen', async ({ page }) => {
    await page.goto('/sims');
    await page.locator('details.column-picker > summary').click();
    await page.getByLabel('IMSI', { exact: true }).check();
    await submitForm(page, page.getByRole('button', { name: 'Save columns', exact: true }));
    await expect(page.locator('table.sim-table thead')).toContainText('IMSI');
    await page.locator('details.column-picker > summary').click();
    await page.getByLabel('IMSI', { exact: true }).uncheck();
    await submitForm(page, page.getByRole('button', { name: 'Save columns', exact: true }));
    await expect(page.locator('table.sim-table thead')).not.toContainText('IMSI');
  });
});

test.describe('SIM details and changes', () => {
  test('details show the usage chart and history, and a change asks to confirm', async ({ page }) => {
    const sim = await firstSimWith(page, 'status=activated&sort=data&dir=desc');
    await page.goto(`/sims/${sim.id}`);
    await expect(mainHeading(page)).toContainText(sim.iccid);
    await expect(page.locator('svg.chart').first()).toBeVisible();
    await expectNoViolations(page);
    await page.getByLabel('New status', { exact: true }).selectOption('suspended');
    await page.getByLabel('Reason', { exact: true }).fill('Playwright check');
    await submitForm(page, page.getByRole('button', { name: 'Change status…', exact: true }));
    await expect(page.getByRole('heading', { name: 'Please confirm' })).toBeVisible();
    await expect(page.locator('.confirm')).toContainText('from Activated to Suspended');
    await expectNoViolations(page);
    await submitForm(page, page.getByRole('button', { name: 'Confirm change', exact: true }));
    await expect(page.locator('p.notice.ok')).toContainText('The status was changed');
    await expect(page.locator('.facts .status')).toHaveText('Suspended');
    await expect(page.locator('section[aria-labelledby="sim-history"]')).toContainText('Playwright check');
    // Back to activated, the way it came.
    await page.getByLabel('New status', { exact: true }).selectOption('activated');
    await submitForm(page, page.getByRole('button', { name: 'Change status…', exact: true }));
    await submitForm(page, page.getByRole('button', { name: 'Confirm change', exact: true }));
    await expect(page.locator('.facts .status')).toHaveText('Activated');
  });

  test('ticked SIMs change in a background job with a progress page', async ({ page }) => {
    await page.goto('/sims?status=suspended&size=25');
    await page.locator('details.bulk > summary').click();
    const boxes = page.locator('table.sim-table tbody input[type="checkbox"]');
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.getByLabel('New status', { exact: true }).selectOption('activated');
    await submitForm(page, page.getByRole('button', { name: 'Change status…', exact: true }));
    await expect(page.locator('.confirm')).toContainText('2 SIMs');
    await expectNoViolations(page);
    await submitForm(page, page.getByRole('button', { name: 'Confirm change', exact: true }));
    await expect(page).toHaveURL(/\/sims\/jobs\/\d+/);
    await expect(page.locator('progress')).toBeVisible();
    // The page reloads itself until the job is done (no script needed).
    await expect(page.locator('label[for="job-progress"]')).toContainText('Finished', { timeout: 15_000 });
    await expect(page.locator('.facts')).toContainText('2');
    await expectNoViolations(page);
  });
});

test.describe('customers', () => {
  test('the tree links to each customer, its SIMs and its records', async ({ page }) => {
    await page.goto('/customers');
    await expect(mainHeading(page)).toHaveText('Customers');
    await expectNoViolations(page);
    await submitForm(page, page.locator('table tbody tr td a[href^="/customers/"]').nth(1));
    await expect(page.getByRole('heading', { name: 'Customer services' })).toBeVisible();
    await expectNoViolations(page);
    await submitForm(page, page.getByRole('link', { name: 'Customer CDRs', exact: true }));
    await expect(mainHeading(page)).toHaveText('Customer CDRs');
    await expectNoViolations(page);
  });
});
