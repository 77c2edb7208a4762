import { expect, test } from '@playwright/test';
import { expectNoViolations } from './support/a11y';
import { inviteUser, submitForm } from './support/auth';
import { mainHeading } from './support/portal';

test.describe('custom roles', () => {
  test('define a custom role from the permission list, give it to a user, see it in the matrix', async ({ page, browser }, info) => {
    const user = await inviteUser(browser, info);
    const name = `Field ops ${info.project.name} ${Date.now().toString(36)}`;

    await page.goto('/roles');
    const form = page.getByRole('form', { name: 'New custom role' });
    await form.getByLabel('Name', { exact: true }).fill(name);
    await form.getByLabel('Based on', { exact: true }).selectOption('customer_user');
    await form.getByLabel('View SIMs and their usage', { exact: true }).check();
    await form.getByLabel('Change SIM state, label and fields', { exact: true }).check();
    await submitForm(page, form.getByRole('button', { name: 'Create role', exact: true }));
    await expect(page.getByRole('status')).toHaveText('The custom role was created.');
    await expectNoViolations(page);

    await page.getByRole('link', { name, exact: true }).click();
    await expect(mainHeading(page)).toHaveText(name);
    await expect(page.getByLabel('View SIMs and their usage', { exact: true })).toBeChecked();
    await expect(page.getByLabel('Export SIMs, CDRs and EDRs as CSV', { exact: true })).not.toBeChecked();
    await expectNoViolations(page);

    // Given on the user's page, narrowing their built-in role.
    await page.goto(`/users?q=${encodeURIComponent(user.username)}`);
    await page.getByRole('link', { name: user.name, exact: true }).click();
    const custom = page.getByRole('region', { name: 'Custom role' });
    await custom.getByLabel('Custom role', { exact: true }).selectOption({ label: name });
    await submitForm(page, custom.getByRole('button', { name: 'Set custom role', exact: true }));
    await expect(page.locator('dl.facts')).toContainText(name);

    // The matrix has its column, ticked exactly where it grants.
    await page.goto('/roles/matrix');
    await expect(page.locator('table.roles-matrix thead')).toContainText(name);
    const column = await page.locator('table.roles-matrix thead th').evaluateAll(
      (cells, wanted) => cells.findIndex((c) => c.textContent?.trim() === wanted),
      name,
    );
    const cell = (perm: string) => page.locator(`tr[data-perm="${perm}"] > *`).nth(column);
    await expect(cell('sims_write')).toHaveClass('granted');
    await expect(cell('sims_export')).toHaveClass('denied');
    await expectNoViolations(page);
  });

  test('times follow the time zone of the profile', async ({ page }) => {
    await page.goto('/profile');
    const zone = page.getByRole('region', { name: 'Time zone' });
    await zone.getByLabel('Time zone', { exact: true }).selectOption('Europe/Rome');
    await submitForm(page, zone.getByRole('button', { name: 'Save', exact: true }));
    await expect(page.getByRole('status')).toHaveText('Saved.');
    await expect(zone).toContainText(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} CES?T/);
    await expectNoViolations(page);
    // Back to UTC, so other tests read the times they expect.
    await zone.getByLabel('Time zone', { exact: true }).selectOption('UTC');
    await submitForm(page, zone.getByRole('button', { name: 'Save', exact: true }));
    await expect(zone).toContainText(/ UTC/);
  });
});
