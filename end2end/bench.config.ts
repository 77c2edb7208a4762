import { defineConfig } from '@playwright/test';

/**
 * The browser benchmarks of `scripts/bench.sh` (BENCH_ONLY=20), not tests: the bench binary
 * serves a portal on its large database and runs these with BASE_URL and BENCH_COOKIE (a
 * signed-in provider administrator's session) set. Results are printed as Markdown tables.
 */
export default defineConfig({
  testDir: './bench',
  testMatch: /\.bench\.ts$/,
  timeout: 600_000,
  workers: 1,
  reporter: 'line',
  use: {
    baseURL: process.env.BASE_URL ?? 'http://127.0.0.1:3000',
    browserName: 'chromium',
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    },
  },
});
