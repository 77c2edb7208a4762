import { test } from '@playwright/test';

/** The main navigation's pages, in menu order (English names). */
const MENU = ['Dashboards', 'SIMs', 'Customers', 'Users', 'Roles', 'Notifications', 'Journal', 'Profile', 'Help'];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const p = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.round((s.length - 1) * q)];
};
const f = (ms: number): string => `${ms.toFixed(0)} ms`;

test('menu tour: client-side navigation against full page loads', async ({ page, context, baseURL }) => {
  const url = new URL(baseURL!);
  await context.addCookies(
    process.env.BENCH_COOKIE!.split(';').map((c) => {
      const [name, ...rest] = c.trim().split('=');
      return { name, value: rest.join('='), domain: url.hostname, path: '/' };
    }),
  );
  await page.goto('/help');
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
  const hrefs: Record<string, string> = {};
  for (const name of MENU) {
    hrefs[name] = (await page.locator('#site-nav a', { hasText: new RegExp(`^${name}$`) }).getAttribute('href'))!;
  }

  // Client-side: from the click to the frame after the patched page (two animation frames).
  const client: Record<string, number[]> = {};
  for (let r = 0; r < ROUNDS + 1; r++) {
    for (const name of MENU) {
      const ms = await page.evaluate(async (href) => {
        const a = document.querySelector<HTMLAnchorElement>(`#site-nav a[href="${href}"]`)!;
        const shown = new Promise((done) => addEventListener('portal:navigated', done, { once: true }));
        const t0 = performance.now();
        a.click();
        await shown;
        await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
        return performance.now() - t0;
      }, hrefs[name]);
      // The first round warms the server's and the browser's caches.
      if (r > 0) (client[name] ??= []).push(ms);
    }
  }

  // Baseline: the same pages as full loads, to the first contentful paint and to hydration.
  const paint: Record<string, number[]> = {};
  const ready: Record<string, number[]> = {};
  for (let r = 0; r < ROUNDS + 1; r++) {
    for (const name of MENU) {
      await page.goto(hrefs[name]);
      await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
      const [fcp, hydrated] = await page.evaluate(() => [
        performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
        performance.now(),
      ]);
      if (r > 0) {
        (paint[name] ??= []).push(fcp);
        (ready[name] ??= []).push(hydrated);
      }
    }
  }

  // Each page's HTML as the navigation fetches it (uncompressed).
  const html: Record<string, number> = {};
  for (const name of MENU) {
    html[name] = await page.evaluate(async (href) => (await (await fetch(href)).text()).length, hrefs[name]);
  }
  const kb = (n: number): string => `${(n / 1000).toFixed(0)} KB`;

  const all = (m: Record<string, number[]>) => Object.values(m).flat();
  const lines = [
    `\n## Issue 20: page changes over the menu tour (${ROUNDS} rounds, p95 per page)\n`,
    '| page | HTML | client-side, click to painted | full load, to first paint (baseline) | full load, to interactive |',
    '| --- | --- | --- | --- | --- |',
    ...MENU.map(
      (n) => `| ${n} (${hrefs[n]}) | ${kb(html[n])} | ${f(p(client[n], 0.95))} | ${f(p(paint[n], 0.95))} | ${f(p(ready[n], 0.95))} |`,
    ),
    `| **all pages, p95** (target ≤ 100 ms) | | **${f(p(all(client), 0.95))}** | ${f(p(all(paint), 0.95))} | ${f(p(all(ready), 0.95))} |`,
    `| all pages, p50 | | ${f(p(all(client), 0.5))} | ${f(p(all(paint), 0.5))} | ${f(p(all(ready), 0.5))} |`,
  ];
  console.log(lines.join('\n'));
});
