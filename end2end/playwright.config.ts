import path from 'node:path';
import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests for the IoT Portal (Leptos SSR + hydration).
 *
 * The server is started by the calling script (cargo leptos end-to-end / CI), so there is
 * no `webServer` block here: point BASE_URL at a running portal.
 *
 * Browsers are never downloaded: Debian's /usr/bin/chromium is used directly.
 */
const baseURL = process.env.BASE_URL ?? 'http://127.0.0.1:3000';

/**
 * Every page but the sign-in pages needs a signed-in user: the `setup` project signs sp.admin
 * in once (tests/auth.setup.ts, reading mail from PORTAL_DATA_DIR/outbox) and the other
 * projects start from that browser state. Tests of the sign-in itself clear it.
 */
const adminState = path.join(__dirname, '.auth', 'admin.json');

const launchOptions = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  retries: 0,
  // Two cores, and the portal server runs on the same machine.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  reporter: 'list',
  use: {
    baseURL,
    locale: 'en-US',
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'setup',
      testMatch: /auth\.setup\.ts$/,
      use: {
        browserName: 'chromium',
        viewport: { width: 1280, height: 800 },
        launchOptions,
      },
    },
    {
      name: 'desktop',
      dependencies: ['setup'],
      use: {
        browserName: 'chromium',
        viewport: { width: 1280, height: 800 },
        storageState: adminState,
        launchOptions,
      },
    },
    {
      name: 'phone',
      dependencies: ['setup'],
      use: {
        browserName: 'chromium',
        storageState: adminState,
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
        deviceScaleFactor: 2,
        launchOptions,
      },
    },
  ],
});
