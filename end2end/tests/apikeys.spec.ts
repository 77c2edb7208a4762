import { expect, test } from '@playwright/test';
import { expectNoViolations } from './support/a11y';
import { demoPassword, submitForm } from './support/auth';
import { mainHeading } from './support/portal';

test.describe('API keys', () => {
  test('create a key on the profile, see it once, use it on the API, revoke it', async ({ page, playwright, baseURL }, info) => {
    const name = `Back office ${info.project.name} ${Date.now().toString(36)}`;
    await page.goto('/profile/api-keys');
    await expect(mainHeading(page)).toHaveText('API keys');
    const form = page.getByRole('region', { name: 'New API key' });
    await form.getByLabel('Name', { exact: true }).fill(name);
    await form.getByLabel('Role', { exact: true }).selectOption('read_only');
    await form.getByLabel('Valid for (days)', { exact: true }).fill('7');
    // Making a key is a sensitive change: confirmed with the password.
    await form.getByLabel('Current password', { exact: true }).fill(demoPassword());
    await submitForm(page, form.getByRole('button', { name: 'Create key', exact: true }));
    const key = (await page.locator('code.secret').textContent())?.trim() ?? '';
    expect(key).toMatch(/^iotp_[A-Za-z0-9]{8}_/);
    await expectNoViolations(page);

    const api = await playwright.request.newContext({ baseURL, extraHTTPHeaders: { Authorization: `Bearer ${key}` } });
    try {
      const res = await api.get('/api/v1/sims?limit=5');
      expect(res.status()).toBe(200);
      expect((await res.json()).data.length).toBeGreaterThan(0);

      // Shown once: a reload no longer has it.
      await page.reload();
      await expect(page.locator('code.secret')).toHaveCount(0);
      await submitForm(page, page.getByRole('button', { name: `Revoke ${name}`, exact: true }));
      await expect(page.getByRole('status')).toHaveText('The key was revoked: requests with it are refused from now on.');
      const refused = await api.get('/api/v1/sims?limit=5');
      expect(refused.status()).toBe(401);
      expect((await refused.json()).error.code).toBe('unauthorized');
    } finally {
      await api.dispose();
    }
  });
});
