import { expect, test, type Page } from '@playwright/test';
import {
  ENGLISH,
  ITALIAN,
  SPANISH,
  type Language,
  languageLink,
  navLink,
  switchLanguage,
  waitForHydration,
} from './support/portal';

/** Nav link names that identify each language (from app/locales/<code>/shell.txt). */
const NAV_NAMES: Record<Language['code'], { dashboards: string; sims: string; help: string }> = {
  en: { dashboards: 'Dashboards', sims: 'SIMs', help: 'Help' },
  es: { dashboards: 'Paneles', sims: 'SIMs', help: 'Ayuda' },
  it: { dashboards: 'Dashboard', sims: 'SIM', help: 'Aiuto' },
};

async function expectPageIn(page: Page, language: Language, path: string): Promise<void> {
  await expect(page.locator('html')).toHaveAttribute('lang', language.code);
  expect(new URL(page.url()).pathname).toBe(path);

  const names = NAV_NAMES[language.code];
  await expect(navLink(page, names.dashboards)).toBeAttached();
  await expect(navLink(page, names.sims)).toBeAttached();
  await expect(navLink(page, names.help)).toBeAttached();

  // The switcher marks the current language, and only that one.
  for (const other of [ENGLISH, SPANISH, ITALIAN]) {
    const link = languageLink(page, other);
    if (other.code === language.code) {
      await expect(link).toHaveAttribute('aria-current', 'true');
    } else {
      await expect(link).not.toHaveAttribute('aria-current', 'true');
    }
    // Each switcher link comes back to the page it was followed from.
    await expect(link).toHaveAttribute('href', new RegExp(`^/lang/${other.code}\\?next=(%2F|/)${path.slice(1)}$`));
  }
}

test.describe('language switcher', () => {
  test('switching to Español, Italiano and back to English on /sims keeps the page and translates it', async ({ page }) => {
    await page.goto('/sims');
    await waitForHydration(page);
    await expectPageIn(page, ENGLISH, '/sims');
    // Short visible code, full language name for assistive technology.
    await expect(languageLink(page, ENGLISH)).toHaveAccessibleName('EN English');
    await expect(languageLink(page, SPANISH)).toHaveAccessibleName('ES Español');
    await expect(languageLink(page, ITALIAN)).toHaveAccessibleName('IT Italiano');
    await expect(languageLink(page, SPANISH)).toHaveText(/^ES/);

    await switchLanguage(page, SPANISH);
    await expectPageIn(page, SPANISH, '/sims');
    await waitForHydration(page);

    await switchLanguage(page, ITALIAN);
    await expectPageIn(page, ITALIAN, '/sims');
    await waitForHydration(page);

    await switchLanguage(page, ENGLISH);
    await expectPageIn(page, ENGLISH, '/sims');
    await waitForHydration(page);
  });

  test('the chosen language is remembered on other pages', async ({ page }) => {
    await page.goto('/sims');
    await waitForHydration(page);
    await switchLanguage(page, SPANISH);

    await page.goto('/customers');
    await expectPageIn(page, SPANISH, '/customers');
  });

  test('/lang/<code> sets a cookie and answers 303 back to the page named by next', async ({ request }) => {
    const response = await request.get('/lang/es?next=%2Fsims', { maxRedirects: 0 });
    expect(response.status()).toBe(303);
    expect(new URL(response.headers()['location'] ?? '', 'http://portal.invalid').pathname).toBe('/sims');
    expect(response.headers()['set-cookie'], 'set-cookie').toBeTruthy();
  });

  test('/lang/<code> never redirects to another site', async ({ request }) => {
    for (const next of ['https://evil.example/', '//evil.example/x', '/\\evil.example']) {
      const response = await request.get(`/lang/es?next=${encodeURIComponent(next)}`, { maxRedirects: 0 });
      expect(response.status(), next).toBe(303);
      expect(response.headers()['location'], next).toBe('/');
    }
  });

  test('/lang/<code> rejects an unknown language with 400', async ({ request }) => {
    const response = await request.get('/lang/xx?next=%2Fsims', { maxRedirects: 0 });
    expect(response.status()).toBe(400);
  });
});

test.describe('language switcher without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('switching to Español, Italiano and back to English on /sims works as plain links', async ({ page }) => {
    await page.goto('/sims');
    await expectPageIn(page, ENGLISH, '/sims');

    await switchLanguage(page, SPANISH);
    await expectPageIn(page, SPANISH, '/sims');

    await switchLanguage(page, ITALIAN);
    await expectPageIn(page, ITALIAN, '/sims');

    await switchLanguage(page, ENGLISH);
    await expectPageIn(page, ENGLISH, '/sims');
  });
});
