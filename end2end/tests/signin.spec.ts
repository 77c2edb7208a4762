import { expect, test, type Page } from '@playwright/test';
import { expectNoViolations } from './support/a11y';
import {
  SIGNED_OUT,
  completeFirstLogin,
  expectSignedInDashboard,
  inviteUser,
  mailSnapshot,
  onPath,
  signOut,
  submitForm,
  submitLogin,
  totpCode,
  totpStep,
  waitForCode,
  waitForStepAfter,
  type InvitedUser,
} from './support/auth';
import { NAV_LINKS, mainHeading, mainNav, navLink, waitForHydration } from './support/portal';

/**
 * The sign-in flows, each from a browser that has never signed in (the admin storage state of
 * the other specs is cleared here). Where sp.admin acts (inviting users) it does so in a
 * separate browser context with the stored admin state. Every flow uses freshly invited users:
 * codes are limited to six per account and hour, and a locked account stays locked.
 */
test.use({ storageState: SIGNED_OUT });

const alertNotice = (page: Page) => page.locator('p.notice.error[role="alert"]');
const statusNotice = (page: Page) => page.locator('p.notice.ok[role="status"]');

/** Navigation entries of the role "User" (customer_user): no administration. */
const USER_NAV = ['Dashboards', 'SIMs', 'Customers', 'Notifications', 'Profile', 'Help'];

async function expectUserNavigation(page: Page): Promise<void> {
  for (const { name } of NAV_LINKS) {
    await expect(navLink(page, name), `nav link "${name}"`).toHaveCount(USER_NAV.includes(name) ? 1 : 0);
  }
  await expect(mainNav(page).getByRole('link', { includeHidden: true })).toHaveCount(USER_NAV.length);
}

/** Sign-out, then password and the emailed code again, ending on the dashboard. */
async function returningSignInWithEmailCode(page: Page, user: InvitedUser): Promise<void> {
  await signOut(page);
  const before = mailSnapshot(user.email);
  await submitLogin(page, user.username, user.password!);

  await expect(page).toHaveURL(onPath('/login/mfa'));
  await expect(mainHeading(page)).toHaveText('Second step: confirm it is you');
  await expect(statusNotice(page)).toHaveText('A code is on its way; it replaces any earlier one.');
  await expect(page.getByText(/^We emailed a 6-digit code to .+\. It is valid for 10 minutes\.$/)).toBeVisible();
  const code = await waitForCode(user.email, before);
  await page.getByLabel('Code', { exact: true }).fill(code);
  await submitForm(page, page.getByRole('button', { name: 'Verify code', exact: true }));

  await expectSignedInDashboard(page);
}

test.describe('the sign-in gate', () => {
  test('anonymous requests for pages are redirected to /login with the page to come back to', async ({ request }) => {
    for (const [path, next] of [
      ['/', '/'],
      ['/sims', '/sims'],
      ['/profile/security', '/profile/security'],
      ['/no-such-page', '/no-such-page'],
    ]) {
      const response = await request.get(path, { maxRedirects: 0 });
      expect(response.status(), path).toBe(303);
      const location = new URL(response.headers()['location'] ?? '', 'http://portal.invalid');
      expect(location.pathname, `${path} redirects to`).toBe('/login');
      expect(location.searchParams.get('next'), `${path} next=`).toBe(next);
    }
  });

  test('the step pages redirect to /login without a sign-in in progress', async ({ request }) => {
    for (const path of ['/login/verify-email', '/login/code', '/login/new-password', '/login/mfa']) {
      const response = await request.get(path, { maxRedirects: 0 });
      expect(response.status(), path).toBe(303);
      expect(response.headers()['location'], path).toBe('/login');
    }
  });

  test('/login, /forgot-password and /reset-password are public', async ({ request }) => {
    for (const path of ['/login', '/forgot-password', '/reset-password']) {
      const response = await request.get(path, { maxRedirects: 0 });
      expect(response.status(), path).toBe(200);
    }
  });

  test('/login shows the sign-in form and hydrates without console errors', async ({ page }) => {
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`uncaught exception: ${error.message}`));

    await page.goto('/sims');
    await expect(page).toHaveURL((url) => url.pathname === '/login' && url.searchParams.get('next') === '/sims');
    await waitForHydration(page);
    await expect(mainHeading(page)).toHaveText('Sign in');
    await expect(page).toHaveTitle('Sign in · IoT Portal');
    await expect(page.getByLabel('Username', { exact: true })).toBeVisible();
    await expect(page.getByLabel('Password', { exact: true })).toHaveAttribute('type', 'password');
    await expect(page.getByLabel('Remember me', { exact: true })).not.toBeChecked();
    await expect(page.getByRole('button', { name: 'Log in', exact: true })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Forgot password', exact: true })).toHaveAttribute('href', '/forgot-password');
    // Signed out, the header offers neither navigation nor sign-out.
    await expect(mainNav(page)).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
    expect(errors, 'the browser reported errors').toEqual([]);
  });
});

test.describe('signing in', () => {
  test('first sign-in from the invitation email: verify email, emailed code, new password, dashboard', async ({ page, browser }, testInfo) => {
    const user = await inviteUser(browser, testInfo);
    await completeFirstLogin(page, user);
    await expectUserNavigation(page);
  });

  test('returning sign-in with password and emailed code', async ({ page, browser }, testInfo) => {
    const user = await inviteUser(browser, testInfo);
    await completeFirstLogin(page, user);
    await returningSignInWithEmailCode(page, user);
    await expectUserNavigation(page);
  });

  test('adding an authenticator app and signing in with it', async ({ page, browser }, testInfo) => {
    test.setTimeout(120_000);
    const user = await inviteUser(browser, testInfo);
    await completeFirstLogin(page, user);

    await page.goto('/profile/security/authenticator');
    await expect(mainHeading(page)).toHaveText('Add authenticator app');
    await expect(page.getByRole('img', { name: 'QR code for your authenticator app' }).locator('svg')).toBeVisible();
    const secret = ((await page.getByTestId('totp-secret').textContent()) ?? '').trim();
    expect(secret, 'the key for manual entry: base32 in groups of four').toMatch(/^[A-Z2-7]{4}( [A-Z2-7]{4})*( [A-Z2-7]{1,3})?$/);

    const enrolmentStep = totpStep();
    await page.getByLabel('Code', { exact: true }).fill(totpCode(secret, enrolmentStep));
    await page.getByLabel('Device name', { exact: true }).fill('Phone');
    await submitForm(page, page.getByRole('button', { name: 'Add authenticator app', exact: true }));
    await expect(page).toHaveURL(onPath('/profile/security'));
    await expect(mainHeading(page)).toHaveText('Security');
    await expect(statusNotice(page)).toHaveText('The authenticator app was added.');
    await expect(page.getByRole('cell', { name: 'Phone', exact: true })).toBeVisible();

    await signOut(page);
    await submitLogin(page, user.username, user.password!);
    await expect(page).toHaveURL(onPath('/login/mfa'));
    await expect(mainHeading(page)).toHaveText('Second step: confirm it is you');
    const otherMethods = page.locator('div.aside', { has: page.getByRole('heading', { name: 'Use another method', exact: true }) });
    await submitForm(page, otherMethods.getByRole('button', { name: 'Authenticator app', exact: true }));
    await expect(page).toHaveURL((url) => url.pathname === '/login/mfa' && url.searchParams.get('method') === 'totp');
    await expect(page.getByText('Open your authenticator app and enter the 6-digit code it shows for IoT Portal.')).toBeVisible();
    await expect(otherMethods.getByRole('button', { name: 'Email code', exact: true })).toBeVisible();

    // The code of the enrolment step is spent: a replay is refused...
    await page.getByLabel('Code', { exact: true }).fill(totpCode(secret, enrolmentStep));
    await submitForm(page, page.getByRole('button', { name: 'Verify code', exact: true }));
    await expect(page).toHaveURL((url) => url.pathname === '/login/mfa' && url.searchParams.get('method') === 'totp');
    await expect(alertNotice(page)).toHaveText('That code is not right. Check it and try again.');
    // ...so the next code comes from the step after it.
    await waitForStepAfter(enrolmentStep);
    expect(totpStep()).toBeGreaterThan(enrolmentStep);
    await page.getByLabel('Code', { exact: true }).fill(totpCode(secret));
    await submitForm(page, page.getByRole('button', { name: 'Verify code', exact: true }));
    await expectSignedInDashboard(page);
  });

  test('three wrong passwords lock the account; then even the right password is refused', async ({ page, browser }, testInfo) => {
    const user = await inviteUser(browser, testInfo);
    await page.goto('/login');
    for (const attempt of [1, 2]) {
      await submitLogin(page, user.username, `not the password ${attempt}`);
      await expect(page).toHaveURL(onPath('/login'));
      await expect(alertNotice(page)).toHaveText('Wrong username or password.');
    }
    await submitLogin(page, user.username, 'not the password 3');
    await expect(page).toHaveURL(onPath('/login'));
    await expect(alertNotice(page)).toContainText('locked until');

    await submitLogin(page, user.username, user.temporaryPassword);
    await expect(page).toHaveURL(onPath('/login'));
    await expect(alertNotice(page)).toContainText('locked until');
    await expect(mainHeading(page)).toHaveText('Sign in');
  });
});

test.describe('signing in without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('first sign-in from the invitation email works as plain form posts', async ({ page, browser }, testInfo) => {
    const user = await inviteUser(browser, testInfo);
    await completeFirstLogin(page, user);
    await expectUserNavigation(page);
  });

  test('returning sign-in with password and emailed code works as plain form posts', async ({ page, browser }, testInfo) => {
    const user = await inviteUser(browser, testInfo);
    await completeFirstLogin(page, user);
    await returningSignInWithEmailCode(page, user);
  });
});

test.describe('accessibility of the sign-in pages (WCAG 2.1 A/AA)', () => {
  test('/login has no axe violations', async ({ page }) => {
    await page.goto('/login');
    await waitForHydration(page);
    await expect(mainHeading(page)).toHaveText('Sign in');
    await expectNoViolations(page);
  });

  test('/login/mfa has no axe violations', async ({ page, browser }, testInfo) => {
    const user = await inviteUser(browser, testInfo);
    await completeFirstLogin(page, user);
    await signOut(page);
    await submitLogin(page, user.username, user.password!);
    await expect(page).toHaveURL(onPath('/login/mfa'));
    await waitForHydration(page);
    await expect(mainHeading(page)).toHaveText('Second step: confirm it is you');
    await expect(page.getByLabel('Code', { exact: true })).toBeVisible();
    await expectNoViolations(page);
  });
});
