import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';

type AxeResults = Awaited<ReturnType<AxeBuilder['analyze']>>;
type Violation = AxeResults['violations'][number];

export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

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

/** Runs axe-core with the WCAG 2.0/2.1 A and AA rules and fails on any violation. */
export async function expectNoViolations(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  await test.info().attach('axe-results.json', {
    body: JSON.stringify(results.violations, null, 2),
    contentType: 'application/json',
  });
  expect(results.violations, summarize(results.violations)).toEqual([]);
}
