import { expect, test } from '@playwright/test';
import { expectNoViolations } from './support/a11y';
import {
  NOT_FOUND_PATH,
  NOT_FOUND_TITLE,
  PAGES,
  SPANISH,
  mainHeading,
  menuButton,
  switchLanguage,
  waitForHydration,
} from './support/portal';

test.describe('accessibility (WCAG 2.1 A/AA)', () => {
  for (const { path, title } of [...PAGES, { path: NOT_FOUND_PATH, title: NOT_FOUND_TITLE }]) {
    test(`${path} has no axe violations after hydration`, async ({ page }) => {
      await page.goto(path);
      await waitForHydration(page);
      await expect(mainHeading(page)).toHaveText(title);
      await expectNoViolations(page);
    });
  }

  test('/help/glossary in Spanish has no axe violations', async ({ page }) => {
    await page.goto('/help/glossary');
    await waitForHydration(page);
    await switchLanguage(page, SPANISH);
    expect(new URL(page.url()).pathname).toBe('/help/glossary');
    await waitForHydration(page);
    await expectNoViolations(page);
  });

  test('the open phone menu has no axe violations', async ({ page }) => {
    test.skip(test.info().project.name !== 'phone', 'the Menu button only exists at phone widths');
    await page.goto('/dashboards');
    await waitForHydration(page);
    await menuButton(page).click();
    await expect(menuButton(page)).toHaveAttribute('aria-expanded', 'true');
    await expectNoViolations(page);
  });
});
