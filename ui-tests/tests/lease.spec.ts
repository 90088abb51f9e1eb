/**
 * The auto-stop as a person sees it: real JupyterLab tabs, the real server extension and the
 * bundled ModelArts emulator; no request is intercepted. The server reads the lease from the
 * emulator every 5 s (see the server config), so a lease a test sets is seen at once; the
 * warning itself comes when its time comes, as on ModelArts.
 */
import {
  expect,
  galata,
  IJupyterLabPage,
  IJupyterLabPageFixture,
  test
} from '@jupyterlab/galata';
import type {
  APIRequestContext,
  BrowserContext,
  Locator,
  Page
} from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

const EMULATOR = 'http://127.0.0.1:8090';
const ARTIFACTS = 'test-results/screenshots';
const WARNING = 'This instance stops at';
// The venv the server config makes for the tests to install into (found by its prefix).
const TEST_ENV_PREFIX = 'modelarts-snapshot-ui-python-';

async function emulator(
  request: APIRequestContext,
  route: string,
  data?: unknown
): Promise<any> {
  const response = data
    ? await request.post(`${EMULATOR}${route}`, { data })
    : await request.get(`${EMULATOR}${route}`);
  expect(response.ok()).toBeTruthy();
  return response.json();
}

/** The emulator as it starts (a 4 h lease), with the timings the other UI tests use. */
async function freshEmulator(request: APIRequestContext): Promise<void> {
  await emulator(request, '/_emulator/reset', {});
  await emulator(request, '/_emulator/config', {
    init_seconds: 1,
    creating_seconds: 5
  });
}

/** The server's answer to `GET modelarts-snapshot/lease` (the 8888 server has no token). */
async function serverLease(request: APIRequestContext): Promise<any> {
  const response = await request.get('/modelarts-snapshot/lease');
  expect(response.ok()).toBeTruthy();
  return response.json();
}

/**
 * Set the emulator's lease and wait until the server gives it (it reads ModelArts every 5 s).
 * Returns the server's lease.
 */
async function setLease(
  request: APIRequestContext,
  fields: Record<string, unknown>
): Promise<any> {
  const set = await emulator(request, '/_emulator/lease', fields);
  const stopAt = set.enable ? set.update_at + set.duration : null;
  let lease: any = null;
  await expect
    .poll(
      async () => {
        lease = await serverLease(request);
        return stopAt === null
          ? lease.enabled
          : lease.enabled &&
              Math.abs(Date.parse(lease.stop_at) - stopAt) < 1500;
      },
      { timeout: 30000, intervals: [1000] }
    )
    .toBe(stopAt !== null);
  return lease;
}

/**
 * Another JupyterLab tab in the same browser context, set up as galata sets up `page`. It opens
 * its own workspace: JupyterLab sends a second tab of the same workspace to a copy of it, a
 * navigation galata's wait does not survive.
 */
async function openTab(
  context: BrowserContext,
  workspace: string,
  fixtures: {
    appPath: string;
    baseURL?: string;
    mockConfig: boolean | Record<string, unknown>;
    mockSettings: boolean | Record<string, unknown>;
    mockState: boolean | Record<string, unknown>;
    mockUser: boolean | Record<string, unknown>;
    tmpPath: string;
    waitForApplication: (page: Page, helpers: IJupyterLabPage) => Promise<void>;
  }
): Promise<IJupyterLabPageFixture> {
  return galata.initTestPage(
    `${fixtures.appPath}/workspaces/${workspace}`,
    true,
    fixtures.baseURL ?? 'http://localhost:8888',
    fixtures.mockConfig,
    fixtures.mockSettings,
    fixtures.mockState,
    fixtures.mockUser,
    await context.newPage(),
    null,
    null,
    fixtures.tmpPath,
    fixtures.waitForApplication,
    null,
    true
  );
}

/** The auto-stop warnings JupyterLab holds in this tab (its notification list). */
async function warnings(page: IJupyterLabPageFixture): Promise<string[]> {
  return (await page.notifications)
    .filter(item => item.type === 'warning' && item.message.includes(WARNING))
    .map(item => item.message);
}

/** The auto-stop warnings shown as toasts in this tab. */
function warningToasts(page: Page): Locator {
  return page
    .locator('.jp-Notification-Toast-warning')
    .filter({ hasText: WARNING });
}

function statusItem(page: Page): Locator {
  return page.locator('#jp-main-statusbar').getByText('Instance stops in');
}

function leaseSection(page: Page): Locator {
  return page
    .locator('#jp-modelarts-snapshot-panel')
    .locator('.jp-ModelArtsSnapshot-lease');
}

async function openPanel(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('modelarts-snapshot:open-panel');
  });
  await expect(page.locator('#jp-modelarts-snapshot-panel')).toBeVisible();
}

/** The site-packages of the test venv, from the manifest (which also records the baseline). */
async function testEnvSitePackages(
  request: APIRequestContext
): Promise<string> {
  const response = await request.get('/modelarts-snapshot/manifest/now');
  expect(response.ok()).toBeTruthy();
  const now = await response.json();
  const env = now.manifest.python.find((item: any) =>
    String(item.prefix).includes(TEST_ENV_PREFIX)
  );
  expect(env, 'the server config lists the test venv').toBeTruthy();
  const [major, minor] = String(env.version).split('.');
  const sitePackages = path.join(
    env.prefix,
    'lib',
    `python${major}.${minor}`,
    'site-packages'
  );
  expect(fs.existsSync(sitePackages)).toBe(true);
  return sitePackages;
}

/** "pip install" a distribution: what pip leaves that the manifest reads. */
function install(sitePackages: string, name: string, version: string): string {
  const folder = path.join(sitePackages, `${name}-${version}.dist-info`);
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(
    path.join(folder, 'METADATA'),
    `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`
  );
  fs.writeFileSync(path.join(folder, 'INSTALLER'), 'pip\n');
  return folder;
}

test.describe('The auto-stop', () => {
  test.beforeEach(async ({ request }) => {
    await freshEmulator(request);
  });

  test.afterEach(async ({ request }) => {
    // The default 4 h lease, as the server gives it, before whatever runs next opens a page.
    await freshEmulator(request);
    await expect
      .poll(
        async () => {
          const lease = await serverLease(request);
          return lease.enabled && Date.parse(lease.stop_at) - Date.now();
        },
        { timeout: 30000, intervals: [1000] }
      )
      .toBeGreaterThan(3 * 3600 * 1000);
  });

  test('each open tab warns once, with what the stop would erase; a tab opened later does not', async ({
    page,
    context,
    request,
    appPath,
    baseURL,
    mockConfig,
    mockSettings,
    mockState,
    mockUser,
    tmpPath,
    waitForApplication
  }) => {
    test.setTimeout(300 * 1000);
    const fixtures = {
      appPath,
      baseURL,
      mockConfig,
      mockSettings,
      mockState,
      mockUser: mockUser as boolean | Record<string, unknown>,
      tmpPath,
      waitForApplication
    };
    // Two packages installed since the instance started (the baseline is recorded first).
    const sitePackages = await testEnvSitePackages(request);
    const installed = [
      install(sitePackages, 'tqdm_lease_test', '4.66.4'),
      install(sitePackages, 'rich_lease_test', '13.7.1')
    ];
    const tabs: IJupyterLabPageFixture[] = [page];
    try {
      const now = await (
        await request.get('/modelarts-snapshot/manifest/now')
      ).json();
      const added = now.changes.pip.added.map((item: any) => item.name);
      expect(added).toEqual(
        expect.arrayContaining(['tqdm-lease-test', 'rich-lease-test'])
      );

      // The stop 16 minutes away: the warning time (15 minutes before) is a minute away.
      const lease = await setLease(request, { stops_in_seconds: 16 * 60 });
      expect(lease.warning).toBeNull();
      const warnAt = Date.parse(lease.warn_at);

      // Two tabs open before the warning time.
      const [, second] = await Promise.all([
        page.reload(),
        openTab(context, 'lease-second', fixtures)
      ]);
      tabs.push(second);
      for (const tab of tabs) {
        await openPanel(tab);
        await expect(leaseSection(tab)).toContainText(
          /Stops at .+, in 1[56] min/
        );
        expect(await warnings(tab)).toEqual([]);
        await expect(statusItem(tab)).toHaveCount(0);
      }
      expect(Date.now()).toBeLessThan(warnAt); // both were open as the time came

      // Each tab warns once the warning time comes (its countdown asks the server then).
      for (const tab of tabs) {
        await expect(warningToasts(tab)).toHaveCount(1, { timeout: 150000 });
      }
      const toast = warningToasts(page);
      await expect(toast).toContainText('2 pip packages');
      await expect(toast).toContainText('would be lost');
      await expect(
        toast.getByRole('button', { name: 'Save as image' })
      ).toBeVisible();
      await expect(
        toast.getByRole('button', { name: 'Extend 1 h' })
      ).toBeVisible();
      for (const tab of tabs) {
        await expect(statusItem(tab)).toBeVisible();
        await expect(leaseSection(tab)).toContainText('2 pip packages');
      }
      const warned = await serverLease(request);
      expect(warned.warning.at_risk.pip).toBe(2);
      expect(warned.warning.delivered).toBe(true);
      await page.sidebar.close('left'); // the picture: the warning, the panel, the status bar
      await page.screenshot({ path: `${ARTIFACTS}/lease-warning.png` });

      // A tab opened after the warning was shown stays quiet, and still counts down.
      const late = await openTab(context, 'lease-late', fixtures);
      tabs.push(late);
      await expect(statusItem(late)).toBeVisible({ timeout: 30000 });
      await late.waitForTimeout(20000);
      expect(await warnings(late)).toEqual([]);
      await expect(warningToasts(late)).toHaveCount(0);

      // Meanwhile the first two still hold exactly one warning each.
      for (const tab of tabs.slice(0, 2)) {
        const held = await warnings(tab);
        expect(held).toHaveLength(1);
        expect(held[0]).toContain('2 pip packages');
        await expect(warningToasts(tab)).toHaveCount(1);
      }
    } finally {
      for (const folder of installed) {
        fs.rmSync(folder, { recursive: true, force: true });
      }
      for (const tab of tabs.slice(1)) {
        await tab.close();
      }
    }
  });

  test('Extend 1 h in the warning moves the stop, once, and the warning does not come back', async ({
    page,
    request
  }) => {
    test.setTimeout(180 * 1000);
    // Already within the warning time: the tab warns as it opens.
    await setLease(request, { stops_in_seconds: 14 * 60 });
    await page.reload();
    await openPanel(page);
    const toast = warningToasts(page);
    await expect(toast).toHaveCount(1, { timeout: 60000 });
    await expect(statusItem(page)).toBeVisible();
    const time = leaseSection(page).locator('.jp-ModelArtsSnapshot-leaseTime');
    await expect(time).toContainText(/Stops at .+, in 1[34] min/);
    const before = await time.textContent();
    const stopBefore = await time.getAttribute('data-stop-at');
    expect((await emulator(request, '/_emulator/requests')).renewals).toEqual(
      []
    );

    await toast.getByRole('button', { name: 'Extend 1 h' }).click();

    await expect(time).not.toHaveAttribute('data-stop-at', stopBefore ?? '', {
      timeout: 30000
    });
    await expect(time).not.toHaveText(before ?? '');
    await expect(time).toContainText(
      /Stops at .+, in (59|60) min|in 1 h 0 min/
    );
    await expect(statusItem(page)).toHaveCount(0);
    await expect(warningToasts(page)).toHaveCount(0);
    const renewals = (await emulator(request, '/_emulator/requests')).renewals;
    expect(renewals).toHaveLength(1);
    expect(renewals[0].duration).toBe(3600000);
    expect(renewals[0].error_code).toBeNull();
    const lease = await serverLease(request);
    expect(lease.warning).toBeNull();
    expect(Date.parse(lease.stop_at) - Date.now()).toBeGreaterThan(
      55 * 60 * 1000
    );

    // No warning comes back for the new stop time (its warning time is 45 min away).
    await page.waitForTimeout(20000);
    expect(await warnings(page)).toEqual([]);
    await expect(warningToasts(page)).toHaveCount(0);
    await expect(statusItem(page)).toHaveCount(0);
    expect(
      (await emulator(request, '/_emulator/requests')).renewals
    ).toHaveLength(1);
  });

  test('an instance without auto-stop shows no Auto-stop section and no status item', async ({
    page,
    request
  }) => {
    // The default 4 h lease: the section is there, with no status item that far from the stop.
    await openPanel(page);
    await expect(leaseSection(page)).toContainText(
      /Stops at .+, in 3 h 5\d min/,
      {
        timeout: 30000
      }
    );
    await expect(statusItem(page)).toHaveCount(0);

    await setLease(request, { enable: false });
    await page.reload();
    await openPanel(page);
    await expect(page.locator('#jp-modelarts-snapshot-panel')).toContainText(
      'History',
      { timeout: 30000 }
    );
    await page.waitForTimeout(5000); // the tab has read the lease by now
    await expect(leaseSection(page)).toHaveCount(0);
    await expect(
      page.locator('#jp-modelarts-snapshot-panel')
    ).not.toContainText('Auto-stop');
    await expect(statusItem(page)).toHaveCount(0);
    expect(await warnings(page)).toEqual([]);
  });

  test('the panel writes the restore script and says how to run it', async ({
    page,
    request
  }) => {
    const sitePackages = await testEnvSitePackages(request);
    const installed = install(sitePackages, 'mstest-restore', '1.0');
    try {
      await openPanel(page);
      const section = page
        .locator('#jp-modelarts-snapshot-panel')
        .locator('.jp-ModelArtsSnapshot-restore');
      await section
        .getByRole('button', { name: 'Write restore script' })
        .click();
      const written = section.locator('.jp-ModelArtsSnapshot-restoreWritten');
      await expect(written).toContainText('Restore script written to');
      const text = (await written.textContent()) ?? '';
      const scriptPath = /written to (\S+restore\.sh):/.exec(text)?.[1] ?? '';
      expect(text).toContain(`bash ${scriptPath}`);
      // The file is there, and reinstalls the package pip added since the start.
      expect(fs.readFileSync(scriptPath, 'utf-8')).toContain('mstest-restore');
      const again = section.getByRole('checkbox', {
        name: 'Write it again after each save'
      });
      await expect(again).not.toBeChecked();
      // It shows what the server answered, so it changes once the server has it.
      await again.click();
      await expect(again).toBeChecked();
      await again.click();
      await expect(again).not.toBeChecked();
    } finally {
      fs.rmSync(installed, { recursive: true, force: true });
    }
  });
});
