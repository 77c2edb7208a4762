import { expect, type Locator, type Page } from '@playwright/test';

/** Every page of the portal with its English `<h1>` (also the first part of `<title>`). */
export const PAGES: ReadonlyArray<{ path: string; title: string }> = [
  // The home page is the default dashboard, named "My fleet" when first created.
  { path: '/', title: 'My fleet' },
  { path: '/dashboards', title: 'Dashboards' },
  { path: '/sims', title: 'SIMs' },
  { path: '/customers', title: 'Customers' },
  { path: '/users', title: 'Users' },
  { path: '/roles', title: 'Roles' },
  { path: '/roles/matrix', title: 'Customer roles matrix' },
  { path: '/notifications', title: 'Notifications' },
  { path: '/notifications/rules', title: 'Notification rules' },
  { path: '/journal', title: 'Journal' },
  { path: '/profile', title: 'Your profile' },
  { path: '/profile/security', title: 'Security' },
  { path: '/profile/api-keys', title: 'API keys' },
  { path: '/help', title: 'Help' },
  { path: '/help/glossary', title: 'IoT glossary' },
  { path: '/help/sim-terms', title: 'SIM overview terms' },
  { path: '/help/troubleshooting', title: 'Troubleshooting error messages' },
  { path: '/help/api', title: 'API reference' },
  { path: '/sims/jobs', title: 'Bulk changes' },
  { path: '/settings/sim-fields', title: 'SIM fields' },
];

/** Main navigation links (English names) and where they point. */
export const NAV_LINKS: ReadonlyArray<{ name: string; href: RegExp }> = [
  { name: 'Dashboards', href: /^\/(dashboards)?$/ },
  { name: 'SIMs', href: /^\/sims$/ },
  { name: 'Customers', href: /^\/customers$/ },
  { name: 'Users', href: /^\/users$/ },
  { name: 'Roles', href: /^\/roles$/ },
  { name: 'Notifications', href: /^\/notifications$/ },
  { name: 'Journal', href: /^\/journal$/ },
  { name: 'Profile', href: /^\/profile$/ },
  { name: 'Help', href: /^\/help$/ },
];

export const NOT_FOUND_PATH = '/no-such-page';
export const NOT_FOUND_TITLE = 'Page not found';

export const documentTitle = (pageTitle: string): string => `${pageTitle} · IoT Portal`;

/** Resolves once the wasm bundle has hydrated the server-rendered page. */
export async function waitForHydration(page: Page): Promise<void> {
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
}

/** The single page heading. */
export const mainHeading = (page: Page): Locator => page.getByRole('heading', { level: 1 });

/**
 * `nav#site-nav`, found even while it is hidden (phone layout with the menu closed) and
 * whatever the language of its label ("Main navigation" in English).
 */
export const mainNav = (page: Page): Locator => page.locator('nav#site-nav');

/** A link of the main navigation by its exact accessible name, hidden or not. */
export const navLink = (page: Page, name: string): Locator =>
  mainNav(page).getByRole('link', { name, exact: true, includeHidden: true });

/** The Menu button by class, so it is found whatever the language of its label. */
export const menuButton = (page: Page): Locator => page.locator('button.menu-button');

export type Language = { code: 'en' | 'es' | 'it'; name: RegExp };
export const ENGLISH: Language = { code: 'en', name: /English/ };
export const SPANISH: Language = { code: 'es', name: /Español/ };
export const ITALIAN: Language = { code: 'it', name: /Italiano/ };

/** A link of the language switcher (`ul.lang-switcher`), e.g. "ES Español". */
export const languageLink = (page: Page, language: Language): Locator =>
  page.locator('ul.lang-switcher').getByRole('link', { name: language.name, includeHidden: true });

/**
 * Follows the language switcher link like a user would and waits for the page to come
 * back in that language. If the switcher sits inside the collapsed phone menu, the menu
 * is opened first (only possible when the Menu button is shown).
 */
export async function switchLanguage(page: Page, language: Language): Promise<void> {
  const link = languageLink(page, language);
  if (!(await link.isVisible()) && (await menuButton(page).isVisible())) {
    await menuButton(page).click();
  }
  await link.click();
  await expect(page.locator('html')).toHaveAttribute('lang', language.code);
}

/** Escapes a string for use inside a RegExp. */
export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

declare global {
  interface Window {
    /** Set by tests to detect full page reloads during client-side navigation. */
    __marker?: number;
  }
}
