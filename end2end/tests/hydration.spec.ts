import { expect, test as base } from '@playwright/test';
import {
  NAV_LINKS,
  NOT_FOUND_PATH,
  NOT_FOUND_TITLE,
  PAGES,
  documentTitle,
  mainHeading,
  mainNav,
  menuButton,
  navLink,
  waitForHydration,
} from './support/portal';

const isExpected404 = (url: string, text: string): boolean =>
  /status of 404/.test(text) && url !== '' && new URL(url).pathname === NOT_FOUND_PATH;

/**
 * Every test in this file fails if the page logs a console error or throws an
 * uncaught exception (hydration mismatches and wasm panics show up this way).
 */
const test = base.extend<{ browserErrors: string[] }>({
  browserErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') {
          const { url, lineNumber } = message.location();
          // Chromium logs the deliberate 404 status of the not-found document itself.
          if (isExpected404(url, message.text())) return;
          errors.push(`console.error: ${message.text()}${url ? ` (${url}:${lineNumber})` : ''}`);
        }
      });
      page.on('pageerror', (error) => errors.push(`uncaught exception: ${error.message}`));
      await use(errors);
      expect(errors, 'the browser reported errors').toEqual([]);
    },
    { auto: true },
  ],
});

const isPhone = (): boolean => test.info().project.name === 'phone';

test.describe('hydration', () => {
  for (const { path, title } of [...PAGES, { path: NOT_FOUND_PATH, title: NOT_FOUND_TITLE }]) {
    test(`${path} hydrates without console errors and keeps its h1 "${title}"`, async ({ page }) => {
      await page.goto(path);
      await waitForHydration(page);
      await expect(mainHeading(page)).toHaveText(title);
      await expect(page.locator('h1')).toHaveCount(1);
    });
  }
});

test.describe('header navigation', () => {
  test('phone: the Menu button shows and hides the navigation, Escape closes it; desktop: the navigation is always shown', async ({ page }) => {
    await page.goto('/dashboards');
    await waitForHydration(page);

    const nav = mainNav(page);
    const menu = page.getByRole('button', { name: 'Menu', includeHidden: true });
    await expect(menu).toHaveAttribute('aria-controls', 'site-nav');
    await expect(page.getByRole('navigation', { name: 'Main navigation', includeHidden: true })).toHaveAttribute('id', 'site-nav');

    if (isPhone()) {
      await expect(menu).toBeVisible();
      await expect(menu).toHaveAttribute('aria-expanded', 'false');
      await expect(nav).toBeHidden();

      await menu.click();
      await expect(menu).toHaveAttribute('aria-expanded', 'true');
      await expect(nav).toBeVisible();
      for (const { name } of NAV_LINKS) {
        await expect(navLink(page, name)).toBeVisible();
      }

      await menu.click();
      await expect(menu).toHaveAttribute('aria-expanded', 'false');
      await expect(nav).toBeHidden();

      await menu.click();
      await expect(menu).toHaveAttribute('aria-expanded', 'true');
      await expect(nav).toBeVisible();
      await page.keyboard.press('Escape');
      await expect(menu).toHaveAttribute('aria-expanded', 'false');
      await expect(nav).toBeHidden();
    } else {
      await expect(menu).toBeHidden();
      await expect(nav).toBeVisible();
      for (const { name } of NAV_LINKS) {
        await expect(navLink(page, name)).toBeVisible();
      }
    }
  });

  test('clicking a navigation link loads the page server-rendered, marks the current link, and Back works', async ({ page }) => {
    // Pages are rendered on the server only (islands): a link is a plain, fast page load.
    await page.goto('/dashboards');
    await waitForHydration(page);
    await expect(navLink(page, 'Dashboards')).toHaveAttribute('aria-current', 'page');

    if (isPhone()) {
      await menuButton(page).click();
      await expect(menuButton(page)).toHaveAttribute('aria-expanded', 'true');
    }
    await navLink(page, 'SIMs').click();

    await expect(page).toHaveURL(/\/sims$/);
    await expect(mainHeading(page)).toHaveText('SIMs');
    await expect(page).toHaveTitle(documentTitle('SIMs'));
    await waitForHydration(page);
    await expect(navLink(page, 'SIMs')).toHaveAttribute('aria-current', 'page');
    await expect(navLink(page, 'Dashboards')).not.toHaveAttribute('aria-current', 'page');

    if (isPhone()) {
      // The next page starts with the menu closed.
      await expect(menuButton(page)).toHaveAttribute('aria-expanded', 'false');
      await expect(mainNav(page)).toBeHidden();
    } else {
      await expect(mainNav(page)).toBeVisible();
    }

    await page.goBack();
    await expect(page).toHaveURL(/\/dashboards$/);
    await expect(mainHeading(page)).toHaveText('Dashboards');
  });
});

test.describe('keyboard', () => {
  test('the first Tab focuses the "Skip to main content" link, which targets #main', async ({ page }) => {
    await page.goto('/sims');
    await waitForHydration(page);

    await page.keyboard.press('Tab');
    const skipLink = page.getByRole('link', { name: 'Skip to main content' });
    await expect(skipLink).toBeFocused();
    await expect(skipLink).toHaveClass(/\bskip-link\b/);
    await expect(skipLink).toHaveAttribute('href', '#main');
    await expect(skipLink).toBeVisible();
    await expect(page.locator('#main')).toBeAttached();

    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/sims#main$/);
    await expect(mainHeading(page)).toHaveText('SIMs');
  });
});
