import { expect, test as base, type Page } from '@playwright/test';
import { expectNoViolations } from './support/a11y';
import { settled, submitForm } from './support/auth';
import { NAV_LINKS, NOT_FOUND_TITLE, documentTitle, mainHeading, menuButton, navLink, waitForHydration } from './support/portal';

/**
 * Client-side navigation (public/navigate.js): links and forms inside the portal patch the
 * document instead of loading a new one. Every test here fails on a console error.
 */
const test = base.extend<{ browserErrors: string[] }>({
  browserErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('console', (m) => {
        // The deliberate 404 of the not-found page is logged by Chromium as a failed fetch.
        if (m.type() === 'error' && !/status of 404/.test(m.text())) errors.push(`console.error: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`uncaught exception: ${e.message}`));
      await use(errors);
      expect(errors, 'the browser reported errors').toEqual([]);
    },
    { auto: true },
  ],
});

/** Sets a value on `window` that only survives as long as the document does. */
async function mark(page: Page): Promise<void> {
  await page.evaluate(() => {
    window.__marker = 42;
  });
}

async function expectSameDocument(page: Page): Promise<void> {
  expect(await page.evaluate(() => window.__marker), 'the document was not reloaded').toBe(42);
}

/** Adds a link to `href` at the end of the page's main part (for addresses no page links to). */
async function addLink(page: Page, href: string, text: string): Promise<void> {
  await page.evaluate(
    ([href, text]) => {
      const a = document.createElement('a');
      a.href = href;
      a.textContent = text;
      document.querySelector('main')!.append(a);
    },
    [href, text],
  );
}

/** Follows a main-navigation link like a person: on a phone the menu is opened first. */
async function follow(page: Page, name: string): Promise<void> {
  if (await menuButton(page).isVisible()) {
    if ((await menuButton(page).getAttribute('aria-expanded')) !== 'true') await menuButton(page).click();
  }
  await settled(page, () => navLink(page, name).click());
}

test.describe('client-side navigation', () => {
  test('a tour of every menu page keeps the document; focus, title, announcement and axe after each', async ({ page }) => {
    await page.goto('/help');
    await waitForHydration(page);
    await mark(page);
    let loads = 0;
    page.on('load', () => loads++);
    for (const { name, href } of NAV_LINKS) {
      await follow(page, name);
      await expect(page).toHaveURL((url) => href.test(url.pathname));
      const heading = (await mainHeading(page).textContent())!.trim();
      await expect(page).toHaveTitle(documentTitle(heading));
      // Focus moves to the new page's heading, and the live region names the page.
      await expect(mainHeading(page)).toBeFocused();
      await expect(page.locator('#nav-status')).toHaveText(documentTitle(heading));
      // The menu is closed again on a phone, and its state agrees with its button.
      if (await menuButton(page).isVisible()) {
        await expect(menuButton(page)).toHaveAttribute('aria-expanded', 'false');
      }
      await expect(navLink(page, name)).toHaveAttribute('aria-current', 'page');
      await expectNoViolations(page);
    }
    await expectSameDocument(page);
    expect(loads, 'no page load during the tour').toBe(0);
  });

  test('back and forward restore the page and its scroll position', async ({ page }) => {
    await page.setViewportSize({ width: 1280, height: 400 });
    await page.goto('/help/glossary');
    await waitForHydration(page);
    await mark(page);
    await page.evaluate(() => window.scrollTo(0, 600));
    await expect.poll(() => page.evaluate(() => window.scrollY)).toBeGreaterThan(500);
    const y = await page.evaluate(() => window.scrollY);
    // Dispatched, not clicked: a click would first scroll the link (at the top) into view.
    await settled(page, () => navLink(page, 'Help').dispatchEvent('click'));
    await expect(mainHeading(page)).toHaveText('Help');
    expect(await page.evaluate(() => window.scrollY), 'a new page starts at the top').toBe(0);
    await settled(page, () => page.goBack().then(() => undefined));
    await expect(mainHeading(page)).toHaveText('IoT glossary');
    await expect.poll(() => page.evaluate(() => window.scrollY)).toBe(y);
    await settled(page, () => page.goForward().then(() => undefined));
    await expect(mainHeading(page)).toHaveText('Help');
    await expectSameDocument(page);
    // A reload keeps the place too.
    await settled(page, () => page.goBack().then(() => undefined));
    await expect.poll(() => page.evaluate(() => window.scrollY)).toBe(y);
    await page.reload();
    await waitForHydration(page);
    await expect.poll(() => page.evaluate(() => window.scrollY)).toBe(y);
  });

  test('an address that answers with something other than a page falls back to a normal load', async ({ page }) => {
    await page.goto('/help');
    await waitForHydration(page);
    await mark(page);
    await addLink(page, '/healthz', 'Health');
    await page.getByRole('link', { name: 'Health' }).click();
    await expect(page).toHaveURL(/\/healthz$/);
    await expect(page.locator('body')).toContainText(/ok/i);
    expect(await page.evaluate(() => window.__marker), 'the browser loaded it itself').toBeUndefined();
  });

  test('a form post refused with a message and one that succeeds both stay in the document', async ({ page }, info) => {
    await page.goto('/notifications/rules');
    await waitForHydration(page);
    await mark(page);
    // Refused by the server (the browser's own checks are taken away to get there).
    const name = `Nav rule ${info.project.name}`;
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Type', { exact: true }).selectOption('usage_sim');
    await page.evaluate(() => document.querySelectorAll('[required]').forEach((e) => e.removeAttribute('required')));
    await submitForm(page, page.getByRole('button', { name: 'Create rule' }));
    await expect(page.getByRole('alert')).toBeVisible();
    await expectSameDocument(page);
    // A form that succeeds: post/redirect/get ends on the notice of the redirect's page.
    await page.goto('/dashboards');
    await waitForHydration(page);
    await mark(page);
    const board = `Nav board ${info.project.name}`;
    await page.locator('#new-name').fill(board);
    await page.getByLabel('Start with').selectOption('blank');
    await submitForm(page, page.getByRole('button', { name: 'Create dashboard' }));
    await expect(mainHeading(page)).toHaveText(`Edit: ${board}`);
    await expect(page).toHaveURL(/\/dashboards\/\d+\/edit/);
    await expect(page.getByRole('status').filter({ hasText: 'Created.' })).toBeVisible();
    await expectSameDocument(page);
    await page.goto('/dashboards');
    const rows = page.getByRole('row').filter({ has: page.getByRole('link', { name: board, exact: true }) });
    while ((await rows.count()) > 0) await submitForm(page, rows.first().getByRole('button', { name: 'Delete' }));
  });

  test('CSV links still download, and the page stays', async ({ page }) => {
    await page.goto('/journal');
    await waitForHydration(page);
    await mark(page);
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Export CSV' }).click();
    expect((await download).suggestedFilename()).toMatch(/\.csv$/);
    await expectSameDocument(page);
    await expect(mainHeading(page)).toHaveText('Journal');
  });

  test('a link to a page that does not exist shows the portal’s not-found page in place', async ({ page }) => {
    await page.goto('/help');
    await waitForHydration(page);
    await mark(page);
    await addLink(page, '/no-such-page', 'Nowhere');
    await settled(page, () => page.getByRole('link', { name: 'Nowhere' }).click());
    await expect(mainHeading(page)).toHaveText(NOT_FOUND_TITLE);
    await expect(page).toHaveURL(/\/no-such-page$/);
    await expectSameDocument(page);
  });

  test('a slow page change shows the progress bar, then hides it', async ({ page }) => {
    await page.goto('/help');
    await waitForHydration(page);
    await mark(page);
    // The glossary answers 600 ms late.
    await page.route('**/help/glossary', async (route) => {
      await new Promise((done) => setTimeout(done, 600));
      await route.continue();
    });
    await page.locator('main a[href="/help/glossary"]').first().click();
    await expect(page.locator('#nav-progress')).toBeVisible();
    await expect(mainHeading(page)).toHaveText('IoT glossary');
    await expect(page.locator('#nav-progress')).toBeHidden();
    await expectSameDocument(page);
  });

  test('a session that ended meanwhile leads to the sign-in page with the way back, in place', async ({ page, context }) => {
    await page.goto('/help');
    await waitForHydration(page);
    await mark(page);
    await context.clearCookies();
    await settled(page, () => navLink(page, 'SIMs').dispatchEvent('click'));
    await expect(mainHeading(page)).toHaveText('Sign in');
    await expect(page).toHaveURL((url) => url.pathname === '/login' && url.searchParams.get('next') === '/sims');
    await expectSameDocument(page);
  });

  test('the live region and progress bar are there for every page, and hidden', async ({ page }) => {
    await page.goto('/sims');
    await expect(page.locator('#nav-status')).toHaveAttribute('aria-live', 'polite');
    await expect(page.locator('#nav-progress')).toBeHidden();
  });
});
