import { expect, test } from '@playwright/test';
import { PAGES } from './support/portal';

// Every page at the narrowest phone width: the page itself never scrolls sideways (wide tables
// scroll inside their own box).
test.describe('360 px wide', () => {
  for (const { path } of PAGES) {
    test(`${path} does not scroll sideways`, async ({ page }) => {
      await page.setViewportSize({ width: 360, height: 740 });
      await page.goto(path);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, path).toBeLessThanOrEqual(0);
    });
  }
});
