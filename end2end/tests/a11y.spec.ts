import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
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

type AxeResults = Awaited<ReturnType<AxeBuilder['analyze']>>;
type Violation = AxeResults['violations'][number];

const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** One readable block per violation: rule, impact, help text and the offending nodes. */
function summarize(violations: Violation[]): string {
  if (violations.length === 0) return 'no accessibility violations';
  return [
    `${violations.length} accessibility violation(s):`,
    ...violations.map((violation) =>
      [
        `- ${violation.id} [${violation.impact ?? 'unknown impact'}]: ${violation.help}`,
        `  ${violation.helpUrl}`,
        ...violation.nodes.map((node) => `    at ${node.target.join(' ')}\n       ${node.failureSummary?.replace(/\n/g, '\n       ') ?? ''}`),
      ].join('\n'),
    ),
  ].join('\n');
}

async function expectNoViolations(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  await test.info().attach('axe-results.json', {
    body: JSON.stringify(results.violations, null, 2),
    contentType: 'application/json',
  });
  expect(results.violations, summarize(results.violations)).toEqual([]);
}

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
