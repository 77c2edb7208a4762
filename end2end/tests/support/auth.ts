import { createHmac } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { expect, type Browser, type Locator, type Page, type TestInfo } from '@playwright/test';
import { mainHeading } from './portal';

/**
 * Sign-in helpers for the end-to-end tests: the demo password, the development outbox
 * (`$PORTAL_DATA_DIR/outbox/*.eml`), the codes and invitations in it, a complete sign-in
 * through the emailed code, and RFC 6238 codes for authenticator apps.
 */

/** Where the setup project keeps sp.admin's signed-in browser state (see playwright.config.ts). */
export const ADMIN_STATE = path.join(__dirname, '..', '..', '.auth', 'admin.json');
export const ADMIN_USERNAME = 'sp.admin';

/** An empty storage state: a browser that has never signed in. */
export const SIGNED_OUT = { cookies: [], origins: [] };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function dataDir(): string {
  const dir = process.env.PORTAL_DATA_DIR;
  if (!dir) {
    throw new Error('PORTAL_DATA_DIR is not set: point it at the data directory of the portal under test (scripts/test.sh does)');
  }
  return dir;
}

/** The password every demo account shares (written by `server seed-demo`). */
export function demoPassword(): string {
  return readFileSync(path.join(dataDir(), 'demo-password.txt'), 'utf8').trim();
}

/** The email address of demo accounts and of the users the tests invite. */
export const emailOf = (username: string): string => `${username}@example.com`;

// ------------------------------------------------------------------ the development outbox

const outboxDir = (): string => path.join(dataDir(), 'outbox');

/** The recipient part of an outbox file name: every char but ASCII alphanumerics and '.' becomes '_'. */
export const recipientFileKey = (address: string): string => address.replace(/[^A-Za-z0-9.]/g, '_');

/** `<millis>-<id>-<recipient>.eml` */
const MAIL_FILE = /^(\d+)-([^-]+)-(.+)\.eml$/;

/** The outbox files addressed to `address`, oldest first. */
export function mailFiles(address: string): string[] {
  const dir = outboxDir();
  if (!existsSync(dir)) return [];
  const key = recipientFileKey(address);
  return readdirSync(dir)
    .map((name) => ({ name, match: MAIL_FILE.exec(name) }))
    .filter(({ match }) => match !== null && match[3] === key)
    .sort((a, b) => Number(a.match![1]) - Number(b.match![1]) || a.name.localeCompare(b.name))
    .map(({ name }) => name);
}

/** The outbox files addressed to `address` right now, to tell later mail from earlier. */
export const mailSnapshot = (address: string): Set<string> => new Set(mailFiles(address));

/** Decodes quoted-printable text: soft line breaks removed, `=XX` bytes decoded as UTF-8. */
function decodeQuotedPrintable(text: string): string {
  const unbroken = text.replace(/=\r?\n/g, '');
  return unbroken.replace(/(?:=[0-9A-F]{2})+/g, (run) =>
    Buffer.from(run.split('=').slice(1).map((hex) => parseInt(hex, 16))).toString('utf8'),
  );
}

/**
 * The readable text of a raw message: quoted-printable decoded (soft breaks removed, `=3D`
 * and the UTF-8 bytes of accented letters decoded), and any base64 parts appended decoded,
 * so plain searches find the codes.
 */
export function decodeMail(raw: string): string {
  let text = decodeQuotedPrintable(raw);
  const base64Parts = raw.matchAll(/Content-Transfer-Encoding:\s*base64\s*\r?\n(?:[^\r\n]+\r?\n)*\r?\n([A-Za-z0-9+/=\r\n]+)/gi);
  for (const part of base64Parts) {
    text += `\n${Buffer.from(part[1].replace(/\s+/g, ''), 'base64').toString('utf8')}`;
  }
  return text;
}

export type Mail = { file: string; body: string };

/**
 * The newest mail to `address` that is not one of the `exclude`d files (and, if given, whose
 * text matches `matching`), polling up to `timeout` ms for it to arrive.
 */
export async function waitForMail(
  address: string,
  { exclude = new Set<string>(), matching, timeout = 5_000 }: { exclude?: Set<string>; matching?: RegExp; timeout?: number } = {},
): Promise<Mail> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const fresh = mailFiles(address).filter((file) => !exclude.has(file)).reverse();
    for (const file of fresh) {
      const body = decodeMail(readFileSync(path.join(outboxDir(), file), 'utf8'));
      if (!matching || matching.test(body)) return { file, body };
    }
    if (Date.now() > deadline) {
      throw new Error(
        `no new mail to ${address}${matching ? ` matching ${matching}` : ''} in ${outboxDir()} within ${timeout} ms ` +
          `(${fresh.length} new file(s) that did not match, ${exclude.size} older one(s))`,
      );
    }
    await sleep(100);
  }
}

/**
 * "Your code is 123456." in the recipient's language: the invited users get English mail
 * (the language of the inviting request), but demo accounts such as sp.admin have their own.
 */
const CODE = /(?:code is|código es|codice è) (\d{6})\b/;

/** The six-digit code of a code email ("Your code is 123456."). */
export function extractCode(body: string): string {
  const match = CODE.exec(body);
  if (!match) throw new Error(`no "code is <6 digits>" (or its Spanish/Italian wording) in the mail:\n${body}`);
  return match[1];
}

/** Username and temporary password of an invitation email. */
export function extractInvitation(body: string): { username: string; temporaryPassword: string } {
  const username = /^(?:Username|Nombre de usuario|Nome utente): (\S+)\s*$/m.exec(body)?.[1];
  const temporaryPassword = /^(?:Temporary password|Contraseña temporal|Password temporanea): (\S+)\s*$/m.exec(body)?.[1];
  if (!username || !temporaryPassword) throw new Error(`no "Username:" / "Temporary password:" lines in the mail:\n${body}`);
  return { username, temporaryPassword };
}

/** The code of the first code email to `address` that is not one of the `exclude`d files. */
export async function waitForCode(address: string, exclude: Set<string>): Promise<string> {
  return extractCode((await waitForMail(address, { exclude, matching: CODE })).body);
}

// ------------------------------------------------------------------ signing in

export const onPath =
  (pathname: string) =>
  (url: URL): boolean =>
    url.pathname === pathname;

/**
 * Clicks a form's submit button and waits for the page the form's redirect leads to (each
 * form is a plain POST answered with 303, so the browser loads a new document).
 */
export async function submitForm(page: Page, button: Locator): Promise<void> {
  await settled(page, () => button.click());
}

/**
 * Does `act` and waits until the page it leads to is shown: a full page load (no JavaScript
 * yet, or none at all), or the client-side navigation's next page (`html[data-navigations]`
 * counts them).
 */
export async function settled(page: Page, act: () => Promise<void>): Promise<void> {
  const count = () => page.evaluate(() => Number(document.documentElement.dataset.navigations || 0));
  const before = await count().catch(() => 0);
  const loaded = page.waitForEvent('load');
  const shown = page.waitForFunction((n) => Number(document.documentElement.dataset.navigations || 0) > n, before, { polling: 50 });
  loaded.catch(() => {});
  shown.catch(() => {});
  await act();
  await Promise.race([loaded, shown]);
}

/** Fills in and submits the login form (the page must show it). */
export async function submitLogin(page: Page, username: string, password: string, { remember = false } = {}): Promise<void> {
  await expect(mainHeading(page)).toHaveText('Sign in');
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  if (remember) await page.getByLabel('Remember me', { exact: true }).check();
  await submitForm(page, page.getByRole('button', { name: 'Log in', exact: true }));
}

/** Expects the signed-in dashboard ("/"), with the Sign out button in the header. */
export async function expectSignedInDashboard(page: Page): Promise<void> {
  await expect(page).toHaveURL(onPath('/'));
  // The home page is the user's default dashboard (its name is the heading).
  await expect(page.locator('#dashboard')).toBeAttached();
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
}

/**
 * A complete sign-in of an account whose second factor is the emailed code: password, then
 * the code from the outbox, ending on the dashboard.
 */
export async function signIn(
  page: Page,
  username: string,
  password: string,
  { remember = false, email = emailOf(username) }: { remember?: boolean; email?: string } = {},
): Promise<void> {
  const before = mailSnapshot(email);
  await page.goto('/login');
  await submitLogin(page, username, password, { remember });
  await expect(page).toHaveURL(onPath('/login/mfa'));
  await expect(mainHeading(page)).toHaveText('Second step: confirm it is you');
  const code = await waitForCode(email, before);
  await page.getByLabel('Code', { exact: true }).fill(code);
  await submitForm(page, page.getByRole('button', { name: 'Verify code', exact: true }));
  await expectSignedInDashboard(page);
}

/** Signs out through the header's button and expects the login page with its notice. */
export async function signOut(page: Page): Promise<void> {
  await submitForm(page, page.getByRole('button', { name: 'Sign out', exact: true }));
  await expect(page).toHaveURL(onPath('/login'));
  await expect(page.locator('p.notice.ok[role="status"]')).toHaveText('You are signed out.');
  await expect(mainHeading(page)).toHaveText('Sign in');
}

// ------------------------------------------------------------------ invited users

export type InvitedUser = {
  name: string;
  username: string;
  email: string;
  temporaryPassword: string;
  /** Set once the first sign-in chose a password. */
  password?: string;
};

/** A username nobody has yet: a-z 0-9 . _ -, 3 to 40 characters. */
export function uniqueUsername(testInfo: TestInfo): string {
  const project = testInfo.project.name.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 10) || 'p';
  const random = Math.random().toString(36).slice(2, 6);
  return `e2e.${project}.${Date.now()}.${random}`;
}

/** A password that passes the policy (16+ characters, not containing the username or email). */
export const newPassword = (): string => `amber falcon river 2026 ${Math.random().toString(36).slice(2, 8)}`;

/**
 * sp.admin (in a browser context of its own, from the stored admin state) invites a new user
 * with the role "User" through /users/invite; the invitation email is read from the outbox.
 */
export async function inviteUser(browser: Browser, testInfo: TestInfo): Promise<InvitedUser> {
  const username = uniqueUsername(testInfo);
  const email = emailOf(username);
  const name = `E2E ${testInfo.project.name} ${username.split('.').slice(2).join(' ')}`;
  const context = await browser.newContext({ storageState: ADMIN_STATE });
  try {
    const page = await context.newPage();
    await page.goto('/users/invite');
    await expect(mainHeading(page)).toHaveText('Invite user');
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Username', { exact: true }).fill(username);
    await page.getByLabel('Email address', { exact: true }).fill(email);
    await page.getByLabel('Role', { exact: true }).selectOption('customer_user');
    const customers = page.getByLabel('Customer', { exact: true });
    const customerIds = await customers.locator('option').evaluateAll((options) =>
      options.map((option) => (option as HTMLOptionElement).value),
    );
    expect(customerIds.length, 'customer options on /users/invite').toBeGreaterThan(0);
    // Any customer will do; the last one is a customer of the provider, not the provider itself.
    await customers.selectOption(customerIds[customerIds.length - 1]);

    const before = mailSnapshot(email);
    await submitForm(page, page.getByRole('button', { name: 'Send invitation', exact: true }));
    await expect(page).toHaveURL((url) => url.pathname === '/users' && url.searchParams.get('n') === 'invitation_sent');
    await expect(page.locator('p.notice.ok[role="status"]')).toHaveText('The invitation was emailed.');

    const mail = await waitForMail(email, { exclude: before, matching: /^(?:Temporary password|Contraseña temporal|Password temporanea): /m });
    const invitation = extractInvitation(mail.body);
    expect(invitation.username).toBe(username);
    return { name, username, email, temporaryPassword: invitation.temporaryPassword };
  } finally {
    await context.close();
  }
}

/**
 * The first sign-in of an invited user: temporary password, email address on file, the emailed
 * code, a new password; ends signed in on the dashboard. Sets `user.password`.
 */
export async function completeFirstLogin(page: Page, user: InvitedUser): Promise<void> {
  await page.goto('/login');
  await submitLogin(page, user.username, user.temporaryPassword);

  await expect(page).toHaveURL(onPath('/login/verify-email'));
  await expect(mainHeading(page)).toHaveText('Verify your account');
  const before = mailSnapshot(user.email);
  await page.getByLabel('Email address on file', { exact: true }).fill(user.email);
  await submitForm(page, page.getByRole('button', { name: 'Verify account', exact: true }));

  await expect(page).toHaveURL(onPath('/login/code'));
  await expect(mainHeading(page)).toHaveText('Enter the code');
  await expect(page.locator('p.notice.ok[role="status"]')).toHaveText('A code is on its way; it replaces any earlier one.');
  const code = await waitForCode(user.email, before);
  await page.getByLabel('Code', { exact: true }).fill(code);
  await submitForm(page, page.getByRole('button', { name: 'Verify code', exact: true }));

  await expect(page).toHaveURL(onPath('/login/new-password'));
  await expect(mainHeading(page)).toHaveText('Choose your password');
  const password = newPassword();
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('Confirm new password', { exact: true }).fill(password);
  await submitForm(page, page.getByRole('button', { name: 'Save password', exact: true }));

  await expectSignedInDashboard(page);
  await expect(page.locator('header .user-name')).toHaveText(user.name);
  user.password = password;
}

// ------------------------------------------------------------------ authenticator apps (RFC 6238)

export const TOTP_STEP_SECONDS = 30;

/** RFC 4648 base32 (spaces, padding and case ignored). */
export function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const char of clean) {
    const index = alphabet.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${JSON.stringify(char)} in ${JSON.stringify(text)}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** The 30-second time step at `millis` (now by default). */
export const totpStep = (millis: number = Date.now()): number => Math.floor(millis / 1000 / TOTP_STEP_SECONDS);

/** The 6-digit RFC 6238 (HMAC-SHA-1) code of `secret` (base32, spaces allowed) for time step `step`. */
export function totpCode(secret: string, step: number = totpStep()): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const hmac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = hmac[hmac.length - 1] & 0x0f;
  const binary = hmac.readUInt32BE(offset) & 0x7fffffff;
  return (binary % 1_000_000).toString().padStart(6, '0');
}

/** Resolves once the time step after `step` has begun. */
export async function waitForStepAfter(step: number): Promise<void> {
  while (totpStep() <= step) {
    await sleep(Math.min(1_000, (step + 1) * TOTP_STEP_SECONDS * 1000 - Date.now() + 50));
  }
}
