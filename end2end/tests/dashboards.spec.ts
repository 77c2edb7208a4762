import { expect, test, type Page } from '@playwright/test';
import { expectNoViolations } from './support/a11y';
import { settled, submitForm } from './support/auth';
import { mainHeading, waitForHydration } from './support/portal';

/** Widget headings of the page, in order. */
const headings = (page: Page) => page.locator('.dash-grid .widget-head h2');

/** The edit page's widget whose heading is `name`. */
const widget = (page: Page, name: string) => page.locator('li.widget').filter({ has: page.getByRole('heading', { name, exact: true }) });

async function createBoard(page: Page, name: string): Promise<string> {
  await page.goto('/dashboards');
  await page.locator('#new-name').fill(name);
  await page.getByLabel('Start with').selectOption('blank');
  await submitForm(page, page.getByRole('button', { name: 'Create dashboard' }));
  await expect(mainHeading(page)).toHaveText(`Edit: ${name}`);
  await expect(page.getByRole('status').filter({ hasText: 'Created.' })).toBeVisible();
  return new URL(page.url()).pathname.replace(/\/edit$/, '');
}

async function addWidget(page: Page, kind: string) {
  const add = page.locator('details.panel').filter({ hasText: 'Add a widget' });
  if (!(await add.evaluate((d) => (d as HTMLDetailsElement).open))) await add.locator('summary').click();
  await page.getByLabel(new RegExp(`^${kind} —`)).check();
  await submitForm(page, page.getByRole('button', { name: 'Add widget' }));
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
}

async function deleteBoard(page: Page, name: string) {
  await page.goto('/dashboards');
  // Every board of that name (a failed earlier run may have left one behind).
  const rows = page.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) });
  while ((await rows.count()) > 0) {
    await submitForm(page, rows.first().getByRole('button', { name: 'Delete' }));
  }
  await expect(page.getByRole('link', { name, exact: true })).toHaveCount(0);
}

test.describe('dashboards', () => {
  test('build a dashboard from scratch, reorder by keyboard, resize, and find it as left after a reload', async ({ page }, info) => {
    const name = `E2E board ${info.project.name}`;
    const board = await createBoard(page, name);
    await addWidget(page, 'Key figure');
    await addWidget(page, 'Data usage over time');
    await addWidget(page, 'SIMs by status');
    await expect(headings(page)).toHaveText(['Active SIMs', 'Data usage over time', 'SIMs by status']);

    // Keyboard: focus "Move up" of the last widget and press Enter.
    const up = widget(page, 'SIMs by status').getByRole('button', { name: 'Move up' });
    await up.focus();
    await settled(page, () => page.keyboard.press('Enter'));
    await expect(headings(page)).toHaveText(['Active SIMs', 'SIMs by status', 'Data usage over time']);

    // Resize the chart to the full width.
    const chart = widget(page, 'Data usage over time');
    await chart.getByLabel('Width').selectOption('4');
    await submitForm(page, chart.getByRole('button', { name: 'Resize' }));
    await page.reload();
    await expect(headings(page)).toHaveText(['Active SIMs', 'SIMs by status', 'Data usage over time']);
    await expect(widget(page, 'Data usage over time')).toHaveClass(/span-4/);

    // Settings: a title and the 7-day range.
    const settings = widget(page, 'Data usage over time');
    await settings.locator('details.widget-settings > summary').click();
    await settings.getByLabel('Title').fill('Traffic');
    await settings.getByLabel('Time range').selectOption('7d');
    await submitForm(page, settings.getByRole('button', { name: 'Save' }));
    await expect(headings(page)).toHaveText(['Active SIMs', 'SIMs by status', 'Traffic']);
    await expectNoViolations(page);

    // The dashboard itself, as a user sees it.
    await page.goto(board);
    await expect(mainHeading(page)).toHaveText(name);
    await expect(headings(page)).toHaveText(['Active SIMs', 'SIMs by status', 'Traffic']);
    await expect(page.locator('.range-switch a[aria-current="true"]')).toHaveText('7 days');
    await expectNoViolations(page);
    await deleteBoard(page, name);
  });

  test('after hydration: range switch without a reload, legend toggles and tooltips', async ({ page }) => {
    const name = `Glue ${test.info().project.name}`;
    const board = await createBoard(page, name);
    await addWidget(page, 'Data usage over time');
    await addWidget(page, 'SMS and voice over time');
    await page.goto(board);
    await waitForHydration(page);
    let loads = 0;
    page.on('load', () => loads++);
    const first = page.locator('section.widget').first();
    await first.getByRole('link', { name: '90 days' }).click();
    await expect(first.getByRole('link', { name: '90 days' })).toHaveAttribute('aria-current', 'true');
    await expect(page).toHaveURL(/r1=90d/);
    expect(loads, 'the dashboard was patched in place, not the page reloaded').toBe(0);
    // Legend: hide the SMS series of the second widget.
    const second = page.locator('section.widget').nth(1);
    const toggle = second.locator('button.legend-toggle[data-series="sms"]');
    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-pressed', 'false');
    await expect(second.locator('figure[data-series="sms"]')).toHaveClass(/series-off/);
    // A tooltip follows the pointer over a chart column.
    await first.locator('rect.hit').nth(80).hover();
    await expect(page.locator('#chart-tip')).toBeVisible();
    await expect(page.locator('#chart-tip')).toContainText(/\d{4}-\d{2}-\d{2}: /);
    await deleteBoard(page, name);
  });

  test('auto-refresh updates the widgets in place, without a reload', async ({ page, context }) => {
    const name = `Refresh ${test.info().project.name}`;
    const board = await createBoard(page, name);
    const id = board.split('/').pop();
    await addWidget(page, 'Recent journal entries');
    const settings = page.locator('details.panel').filter({ has: page.locator('#dash-refresh') });
    if (!(await settings.evaluate((d) => (d as HTMLDetailsElement).open))) await settings.locator('summary').click();
    await page.locator('#dash-refresh').selectOption('1');
    await submitForm(page, settings.getByRole('button', { name: 'Save' }));

    // A fake clock, so a minute passes at once.
    await page.clock.install();
    await page.goto(board);
    await waitForHydration(page);
    await expect(page.locator('#dash-updated')).toContainText('Refreshes every 1 min');
    const mine = page.locator('section.widget li').filter({ hasText: `dashboard:${id}` });
    await expect(mine.first()).toContainText('dashboard.settings');
    let loads = 0;
    page.on('load', () => loads++);

    // A change made elsewhere: another tab moves this dashboard up in the menu.
    const other = await context.newPage();
    await other.goto('/dashboards');
    const row = other.getByRole('row').filter({ has: other.getByRole('link', { name, exact: true }) });
    await submitForm(other, row.getByRole('button', { name: 'Move up' }));
    await other.close();

    await page.clock.fastForward('01:05');
    await expect(mine.first()).toContainText('dashboard.move');
    expect(loads, 'the widgets were swapped in, not the page reloaded').toBe(0);
    await deleteBoard(page, name);
  });

  test('drag and drop moves a widget (pointer events, mouse or touch)', async ({ page }, info) => {
    const name = `Drag ${test.info().project.name}`;
    await createBoard(page, name);
    await addWidget(page, 'Key figure');
    await addWidget(page, 'SIMs by status');
    await waitForHydration(page);
    const handle = widget(page, 'SIMs by status').locator('.drag-handle');
    const target = widget(page, 'Active SIMs');
    // The drop point must be on screen (elementFromPoint), on a phone too.
    await target.scrollIntoViewIfNeeded();
    const from = (await handle.boundingBox())!;
    const to = (await target.boundingBox())!;
    await settled(page, async () => {
    if (info.project.name === 'phone') {
      // A finger: the same pointer events with pointerType "touch".
      const at = (x: number, y: number) => ({ pointerId: 7, pointerType: 'touch', isPrimary: true, bubbles: true, clientX: x, clientY: y });
      await handle.dispatchEvent('pointerdown', at(from.x + from.width / 2, from.y + from.height / 2));
      const list = page.locator('#dash-edit');
      await list.dispatchEvent('pointermove', at(to.x + 20, to.y + 10));
      await list.dispatchEvent('pointerup', at(to.x + 20, to.y + 10));
    } else {
      await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
      await page.mouse.down();
      await page.mouse.move(to.x + 20, to.y + 10, { steps: 8 });
      await page.mouse.up();
    }
    });
    await expect(headings(page)).toHaveText(['SIMs by status', 'Active SIMs']);
    await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
    await deleteBoard(page, name);
  });

  test('two tabs editing the same dashboard: the later change is refused with a message', async ({ page, context }) => {
    const name = `Tabs ${test.info().project.name}`;
    const board = await createBoard(page, name);
    await addWidget(page, 'Key figure');
    const other = await context.newPage();
    await other.goto(`${board}/edit`);
    await addWidget(page, 'SIMs by status');
    await submitForm(other, widget(other, 'Active SIMs').getByRole('button', { name: 'Remove' }));
    await expect(other.getByRole('alert')).toContainText('changed in another tab');
    await expect(headings(other)).toHaveText(['Active SIMs', 'SIMs by status']);
    await other.close();
    await deleteBoard(page, name);
  });

  test('the default dashboard: figures link to the SIM list that agrees with them, readable at 360 px', async ({ page }) => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto('/');
    await expect(page.locator('section.widget')).toHaveCount(8);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, 'no horizontal scrolling of the page').toBeLessThanOrEqual(0);
    // Two tiles share a row on a phone.
    const [a, b] = await Promise.all([0, 1].map((i) => page.locator('section.widget').nth(i).boundingBox()));
    expect(Math.abs(a!.y - b!.y)).toBeLessThan(2);
    await expectNoViolations(page);
    const tile = page.locator('section.widget').nth(2);
    const figure = (await tile.locator('a.kpi-value').textContent())!.trim();
    await submitForm(page, tile.locator('a.kpi-value'));
    await expect(page).toHaveURL(/\/sims\?status=suspended/);
    await expect(page.locator('p.count')).toContainText(`${figure} SIM`);
  });

  test('without JavaScript the dashboard and its forms still work', async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false, storageState: (await import('./support/auth')).ADMIN_STATE });
    const page = await context.newPage();
    const name = 'No script board';
    await createBoard(page, name);
    await addWidget(page, 'Top SIMs by usage');
    await expect(headings(page)).toHaveText(['Top SIMs by usage']);
    await expect(page.locator('.drag-handle')).toBeHidden();
    await deleteBoard(page, name);
    await context.close();
  });
});
