import { expect, test } from '@playwright/test';
import { expectNoViolations } from './support/a11y';
import { inviteUser, submitForm } from './support/auth';
import { mainHeading } from './support/portal';

test.describe('users', () => {
  test('invite a user, find them with the filters, change their role, deactivate and reactivate', async ({ page, browser }, info) => {
    const user = await inviteUser(browser, info);
    await page.goto(`/users?q=${encodeURIComponent(user.username)}&state=invited`);
    await expectNoViolations(page);
    const link = page.getByRole('link', { name: user.name, exact: true });
    await expect(link).toHaveCount(1);
    await link.click();
    await expect(mainHeading(page)).toHaveText(user.name);
    await expect(page.locator('dl.facts')).toContainText('User');
    await expectNoViolations(page);

    const edit = page.getByRole('region', { name: 'Name, role and customer' });
    await edit.getByLabel('Role', { exact: true }).selectOption('read_only');
    await submitForm(page, edit.getByRole('button', { name: 'Save', exact: true }));
    await expect(page.getByRole('status')).toHaveText('Saved.');
    await expect(page.locator('dl.facts')).toContainText('Read only');

    await submitForm(page, page.getByRole('button', { name: 'Deactivate', exact: true }));
    await expect(page.locator('dl.facts')).toContainText('Deactivated');
    await submitForm(page, page.getByRole('button', { name: 'Reactivate', exact: true }));
    await expect(page.locator('dl.facts')).not.toContainText('Deactivated');

    // The change is in the user's journal trail and the admin's.
    await page.goto(`/journal?entity=user&target=${encodeURIComponent(user.username)}`);
    await expect(page.locator('table.journal')).toContainText('user.edited');
    await expect(page.locator('table.journal')).toContainText('user.deactivated');
  });
});
