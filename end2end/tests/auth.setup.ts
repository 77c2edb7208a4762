import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect, request as requestFactory, test as setup } from '@playwright/test';
import { ADMIN_STATE, ADMIN_USERNAME, demoPassword, signIn } from './support/auth';

/**
 * Signs sp.admin in once (password and emailed code, "Remember me" on) and stores the browser
 * state in .auth/admin.json; the desktop and phone projects start every test from it.
 *
 * A state file from an earlier run is reused while the portal still accepts its session:
 * each sign-in spends one of the account's six emailed codes per hour.
 */
setup('sign in as sp.admin and store the browser state', async ({ page, baseURL }) => {
  if (existsSync(ADMIN_STATE)) {
    const probe = await requestFactory.newContext({ baseURL, storageState: ADMIN_STATE });
    try {
      const response = await probe.get('/', { maxRedirects: 0 });
      if (response.status() === 200) {
        setup.info().annotations.push({ type: 'reused', description: `${ADMIN_STATE} still holds a live session` });
        return;
      }
    } finally {
      await probe.dispose();
    }
  }

  await signIn(page, ADMIN_USERNAME, demoPassword(), { remember: true });
  // The provider administrator sees every entry of the navigation.
  await expect(page.locator('nav#site-nav').getByRole('link', { name: 'Users', exact: true, includeHidden: true })).toBeAttached();

  mkdirSync(path.dirname(ADMIN_STATE), { recursive: true });
  await page.context().storageState({ path: ADMIN_STATE });
});
