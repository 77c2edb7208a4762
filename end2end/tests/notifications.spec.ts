import { expect, test } from '@playwright/test';
import { expectNoViolations } from './support/a11y';
import { submitForm } from './support/auth';
import { mainHeading } from './support/portal';

test.describe('notifications', () => {
  test('create a rule, trigger it with a SIM change, see it on the bell and in the history', async ({ page }, info) => {
    const name = `E2E suspensions ${info.project.name}`;
    await page.goto('/notifications/rules');
    await expect(mainHeading(page)).toHaveText('Notification rules');
    await expectNoViolations(page);
    // A rule left by an interrupted earlier run goes first.
    const old = page.getByRole('row').filter({ hasText: 'E2E suspensions' });
    while ((await old.count()) > 0) await submitForm(page, old.first().getByRole('button', { name: 'Remove' }));
    await page.getByLabel('Name', { exact: true }).fill(name);
    // A customer (the first after the provider's own), so the rule watches that tree.
    const customer = (await page.locator('#r-customer option').nth(1).getAttribute('value'))!;
    await page.locator('#r-customer').selectOption(customer);
    await page.getByLabel('Type', { exact: true }).selectOption('status');
    await page.getByLabel('Changes to', { exact: true }).selectOption('suspended');
    await page.getByLabel('Service provider administrator', { exact: true }).check();
    await submitForm(page, page.getByRole('button', { name: 'Create rule' }));
    await expect(page.getByRole('status')).toHaveText('Rule created.');
    await expect(page.getByRole('row').filter({ hasText: name })).toContainText('→ suspended');

    // Suspend an activated SIM, the way a person does.
    await page.goto(`/sims?status=activated&customer=${customer}&sort=iccid&dir=desc`);
    const link = page.locator('table.sim-table tbody a[href^="/sims/"]').first();
    const iccid = (await link.textContent())!.trim();
    await link.click();
    await page.getByLabel('New status', { exact: true }).selectOption('suspended');
    await page.getByLabel('Reason', { exact: true }).fill('Notification check');
    await submitForm(page, page.getByRole('button', { name: 'Change status…', exact: true }));
    await submitForm(page, page.getByRole('button', { name: 'Confirm change', exact: true }));
    await expect(page.locator('.facts .status')).toHaveText('Suspended');

    // The bell counts it without a reload (the worker following the journal raises it within a
    // second; the bell asks every 30 s while the tab is shown, and when the window gets focus);
    // the history says what happened.
    const bell = page.locator('a.bell');
    let loads = 0;
    page.on('load', () => loads++);
    await expect(async () => {
      await page.evaluate(() => dispatchEvent(new Event('focus')));
      await expect(bell).toHaveAttribute('aria-label', /Notifications, [1-9]\d* unread/, { timeout: 500 });
    }).toPass({ timeout: 10_000 });
    await expect(bell.locator('.bell-count')).toBeVisible();
    expect(loads, 'the bell changed in place').toBe(0);
    await bell.click();
    await expect(mainHeading(page)).toHaveText('Notifications');
    const row = page.getByRole('row').filter({ hasText: `SIM ${iccid} changed from activated to suspended` }).first();
    await expect(row).toBeVisible();
    await row.getByText('Details').click();
    await expect(row.locator('dl.values')).toContainText(name);
    await expectNoViolations(page);
    await submitForm(page, page.getByRole('button', { name: 'Mark all as read' }));
    await expect(page.locator('a.bell')).toHaveAttribute('aria-label', 'Notifications, 0 unread');
    await expect(page.locator('a.bell .bell-count')).toBeHidden();

    // Clean up: the SIM back to activated, the rule removed.
    await page.goto('/sims?status=suspended&sort=iccid&dir=desc');
    await page.getByRole('link', { name: iccid, exact: true }).click();
    await page.getByLabel('New status', { exact: true }).selectOption('activated');
    await submitForm(page, page.getByRole('button', { name: 'Change status…', exact: true }));
    await submitForm(page, page.getByRole('button', { name: 'Confirm change', exact: true }));
    await page.goto('/notifications/rules');
    await submitForm(page, page.getByRole('row').filter({ hasText: name }).getByRole('button', { name: 'Remove' }));
    await expect(page.getByRole('status')).toHaveText('Rule removed.');
  });
});
