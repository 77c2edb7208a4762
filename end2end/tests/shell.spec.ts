import { expect, test } from '@playwright/test';
import {
  NAV_LINKS,
  NOT_FOUND_PATH,
  NOT_FOUND_TITLE,
  PAGES,
  documentTitle,
  escapeRegExp,
  mainHeading,
  navLink,
} from './support/portal';

test.describe('server-rendered pages', () => {
  for (const { path, title } of PAGES) {
    test(`${path} responds 200 with the h1 "${title}" and title "${documentTitle(title)}"`, async ({ page }) => {
      const response = await page.goto(path);
      expect(response, `no response for ${path}`).not.toBeNull();
      expect(response!.status()).toBe(200);
      expect(response!.headers()['content-type']).toMatch(/^text\/html/);

      // The heading is in the HTML the server sent, not only added by the wasm later.
      const html = await response!.text();
      expect(html).toMatch(new RegExp(`<h1[^>]*>[\\s\\S]*?${escapeRegExp(title)}[\\s\\S]*?</h1>`));

      await expect(mainHeading(page)).toHaveText(title);
      await expect(page.locator('h1')).toHaveCount(1);
      await expect(page).toHaveTitle(documentTitle(title));
      await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    });
  }
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  for (const { path, title } of PAGES) {
    test(`${path} shows its h1 "${title}", the header and every navigation link`, async ({ page }) => {
      const response = await page.goto(path);
      expect(response!.status()).toBe(200);

      await expect(mainHeading(page)).toHaveText(title);
      await expect(page).toHaveTitle(documentTitle(title));

      await expect(page.getByRole('link', { name: 'Skip to main content' })).toHaveAttribute('href', '#main');
      await expect(page.locator('#main')).toBeAttached();
      await expect(page.getByRole('link', { name: 'IoT Portal', exact: true })).toBeVisible();
      await expect(page.getByRole('navigation', { name: 'Main navigation', includeHidden: true })).toBeAttached();
      await expect(page.locator('ul.lang-switcher').getByRole('link', { includeHidden: true })).toHaveCount(3);

      for (const { name, href } of NAV_LINKS) {
        await expect(navLink(page, name), `nav link "${name}"`).toHaveAttribute('href', href);
      }

      // Top-level pages mark their own navigation link as the current page
      // ("/" is left out: whether it counts as the Dashboards page's link is not specified).
      const current = path === '/' ? undefined : NAV_LINKS.find((link) => link.name === title && link.href.test(path));
      if (current) {
        await expect(navLink(page, current.name)).toHaveAttribute('aria-current', 'page');
      }
    });
  }
});

test.describe('unknown paths', () => {
  for (const path of [NOT_FOUND_PATH, '/help/no-such-topic']) {
    test(`${path} responds 404 with the h1 "${NOT_FOUND_TITLE}"`, async ({ page }) => {
      const response = await page.goto(path);
      expect(response!.status()).toBe(404);
      await expect(mainHeading(page)).toHaveText(NOT_FOUND_TITLE);
      await expect(page.locator('h1')).toHaveCount(1);
    });
  }
});

test.describe('HTTP responses', () => {
  for (const path of ['/', '/help/glossary', NOT_FOUND_PATH, '/healthz', '/favicon.svg']) {
    test(`${path} carries the security headers`, async ({ request }) => {
      const response = await request.get(path);
      const headers = response.headers();
      expect(headers['content-security-policy'], 'content-security-policy').toContain("frame-ancestors 'none'");
      expect(headers['x-content-type-options'], 'x-content-type-options').toBe('nosniff');
      expect(headers['referrer-policy'], 'referrer-policy').toBeTruthy();
    });
  }

  test('/healthz reports status ok as JSON', async ({ request }) => {
    const response = await request.get('/healthz');
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toMatch(/^application\/json/);
    expect(await response.json()).toMatchObject({ status: 'ok' });
  });
});
