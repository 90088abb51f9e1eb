/**
 * The first day on ModelArts. The Jupyter server on port 8891 (day-one-server.sh) started from
 * an env without the package, and it is never restarted. The README's install runs while it
 * runs; after a reload the button, the form with its pre-flight report, the panel and the
 * notifications work through the service kernel, against the emulator; no request is
 * intercepted.
 */
import { expect, test } from '@jupyterlab/galata';
import type { APIRequestContext, Page } from '@playwright/test';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const SERVER = 'http://localhost:8891';
const EMULATOR = 'http://127.0.0.1:8090';
const DAY_ONE = path.join(__dirname, '..', '..', 'build', 'day-one');
const ARTIFACTS = 'test-results/screenshots';
const SERVICE_KERNEL = 'modelarts-snapshot-service';
// The user's Jupyter config of the first day polls ModelArts every second.
const POLL_SECONDS = 1;

test.use({ baseURL: SERVER });

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

async function count(request: APIRequestContext, route: string) {
  return (await emulator(request, '/_emulator/requests')).counts[route] ?? 0;
}

/** The Launcher's tiles on a fresh workspace (whatever the last one restored). */
async function launcherTiles(page: Page, workspace: string): Promise<string[]> {
  await page.goto(`${SERVER}/lab/workspaces/${workspace}?reset`);
  const cards = page.locator('.jp-Launcher .jp-LauncherCard');
  await expect(cards.first()).toBeVisible({ timeout: 60000 });
  return (await cards.allInnerTexts()).map(text => text.trim()).sort();
}

/** The processes of this server's service kernel: the platform's Python running its module. */
function serviceKernelPids(): number[] {
  const python = path.join(DAY_ONE, 'platform', 'bin');
  return fs
    .readdirSync('/proc')
    .filter(name => /^\d+$/.test(name))
    .filter(name => {
      try {
        const argv = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
        return (
          argv.startsWith(python) &&
          argv.includes('jupyterlab_modelarts_snapshot.service_kernel')
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function runningKernels(request: APIRequestContext): Promise<any[]> {
  const response = await request.get(`${SERVER}/api/kernels`);
  expect(response.ok()).toBeTruthy();
  return response.json();
}

function panel(page: Page) {
  return page.locator('#jp-modelarts-snapshot-panel');
}

function dialog(page: Page) {
  return page.locator('.jp-Dialog');
}

test('the whole UI on day one, through the service kernel', async ({
  page,
  request,
  context
}) => {
  test.setTimeout(360000);
  await emulator(request, '/_emulator/reset', {});
  await emulator(request, '/_emulator/config', {
    init_seconds: 1,
    creating_seconds: 15
  });
  const serverPid = Number(
    fs.readFileSync(path.join(DAY_ONE, 'server.pid'), 'utf8')
  );
  // A new instance: the page has nothing of the extension.
  const before = await launcherTiles(page, 'day-one-before');
  expect(await panel(page).count()).toBe(0);

  // The README's install, in a terminal of the instance (this venv has the package: the
  // `pip install` step is done).
  const wheel = fs
    .readdirSync(path.join(DAY_ONE, 'dist'))
    .find(name => name.endsWith('.whl'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: path.join(DAY_ONE, 'home'),
    LANG: 'C.UTF-8'
  };
  const output = execFileSync(
    'jupyter',
    [
      'modelarts-snapshot',
      'install',
      '--from',
      path.join(DAY_ONE, 'dist', wheel!)
    ],
    { env, encoding: 'utf8' }
  );
  expect(output).toContain('Installed the service kernel');

  // Reload: the same Launcher (the service kernel is not offered), and the button is there.
  const after = await launcherTiles(page, 'day-one-after');
  expect(after).toEqual(before);

  await page.notebook.createNew();
  await page
    .locator('.jp-NotebookPanel-toolbar')
    .getByRole('button', { name: 'Save as image' })
    .click();
  const form = dialog(page);
  await expect(form.getByLabel('Name', { exact: true })).toBeVisible({
    timeout: 60000
  });
  await form.getByLabel('Name', { exact: true }).fill('day-one-env');
  await form.getByLabel('Namespace').fill('atelier-auto');
  await page.waitForTimeout(800);
  await expect(form.locator('.jp-ModelArtsSnapshot-reportStatus')).toHaveText(
    /The report is ready/,
    { timeout: 60000 }
  );
  await expect(
    form.locator('.jp-ModelArtsSnapshot-check[data-check="instance"]')
  ).toContainText('OK');
  // The new notebook is unsaved: the report offers to save it first.
  await form.getByRole('button', { name: 'Save all' }).click();
  await expect(form).not.toContainText('Unsaved documents');
  await form.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(form).toHaveCount(0);

  const current = panel(page).locator('.jp-ModelArtsSnapshot-job').first();
  await expect(current).toContainText('day-one-env');
  await expect(current).toHaveAttribute('data-status', 'CREATING', {
    timeout: 30000
  });
  await expect(panel(page)).toContainText('through the service kernel');

  // A second tab joins the same service kernel, so the same one poller.
  const second = await context.newPage();
  await second.goto(`${SERVER}/lab/workspaces/day-one-second`);
  await second.waitForFunction(() =>
    (window as any).jupyterapp?.commands.hasCommand(
      'modelarts-snapshot:open-panel'
    )
  );
  await second.evaluate(async () => {
    await (window as any).jupyterapp.commands.execute(
      'modelarts-snapshot:open-panel'
    );
  });
  await expect(
    panel(second).locator('.jp-ModelArtsSnapshot-job').first()
  ).toContainText('day-one-env', { timeout: 30000 });
  const kernels = await runningKernels(request);
  expect(kernels.filter(k => k.name === SERVICE_KERNEL)).toHaveLength(1);
  const polled = await count(request, 'show_image');
  const since = Date.now();
  await page.waitForTimeout(5000);
  const polls = (await count(request, 'show_image')) - polled;
  // One poll per interval whatever the number of tabs (and a tick of slack).
  expect(polls).toBeLessThanOrEqual(
    (Date.now() - since) / 1000 / POLL_SECONDS + 1
  );
  expect(polls).toBeGreaterThanOrEqual(1);
  await second.close();

  // The service kernel dies during CREATING: the server starts it again, the page's next
  // request reaches it, and it follows the save on from its record.
  const pids = serviceKernelPids();
  expect(pids).toHaveLength(1);
  process.kill(pids[0], 'SIGKILL');
  await expect(current).toHaveAttribute('data-status', 'ACTIVE', {
    timeout: 120000
  });
  await expect(current).toContainText('Saved (ACTIVE)');
  await expect(current).toContainText(
    'swr.cn-north-4.myhuaweicloud.com/atelier-auto/day-one-env:'
  );
  await expect
    .poll(
      async () =>
        (await page.notifications).some(
          item => item.type === 'success' && item.message.includes('is saved')
        ),
      { timeout: 30000 }
    )
    .toBe(true);
  expect(await count(request, 'create_image')).toBe(1);
  expect(serviceKernelPids()).toHaveLength(1);
  await panel(page).screenshot({ path: `${ARTIFACTS}/panel-day-one.png` });

  // A rebuild file comes through the kernel too.
  const downloading = page.waitForEvent('download');
  await current.getByRole('link', { name: /Download Dockerfile/ }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('Dockerfile');
  expect(fs.readFileSync(await download.path(), 'utf8')).toMatch(/^FROM /m);

  // Shut down from the Running panel, the service kernel is gone: the next request starts
  // another, which knows the history.
  const [service] = (await runningKernels(request)).filter(
    k => k.name === SERVICE_KERNEL
  );
  expect(
    (await request.delete(`${SERVER}/api/kernels/${service.id}`)).ok()
  ).toBeTruthy();
  await panel(page).getByRole('button', { name: 'Save as image' }).click();
  await expect(
    dialog(page).locator('.jp-ModelArtsSnapshot-reportStatus')
  ).toHaveText(/The report is ready/, { timeout: 90000 });
  await dialog(page).getByRole('button', { name: 'Cancel' }).click();
  const restarted = (await runningKernels(request)).filter(
    k => k.name === SERVICE_KERNEL
  );
  expect(restarted).toHaveLength(1);
  expect(restarted[0].id).not.toBe(service.id);
  await expect(
    panel(page).locator('.jp-ModelArtsSnapshot-job').first()
  ).toContainText('day-one-env');
  expect(await count(request, 'create_image')).toBe(1);

  // A setting that is not valid: the kernel starts without its service, and the panel gives
  // the kernel's own words.
  const config = path.join(
    DAY_ONE,
    'home',
    '.jupyter',
    'jupyter_server_config.py'
  );
  const good = fs.readFileSync(config, 'utf8');
  fs.appendFileSync(config, 'c.ModelArtsSnapshot.poll_interval = 0.01\n');
  try {
    await request.delete(`${SERVER}/api/kernels/${restarted[0].id}`);
    await page.goto(`${SERVER}/lab/workspaces/day-one-broken?reset`);
    await page.waitForFunction(() =>
      (window as any).jupyterapp?.commands.hasCommand(
        'modelarts-snapshot:open-panel'
      )
    );
    await page.evaluate(async () => {
      await (window as any).jupyterapp.commands.execute(
        'modelarts-snapshot:open-panel'
      );
    });
    const alert = panel(page).locator('.jp-ModelArtsSnapshot-serverMissing');
    await expect(alert).toContainText('could not start its service', {
      timeout: 60000
    });
    await expect(alert).toContainText('poll_interval');
    await expect(
      panel(page).getByRole('button', { name: 'Save as image' })
    ).toBeDisabled();
  } finally {
    fs.writeFileSync(config, good);
  }

  // The same server all along: it was never restarted.
  expect(() => process.kill(serverPid, 0)).not.toThrow();
  expect(
    Number(fs.readFileSync(path.join(DAY_ONE, 'server.pid'), 'utf8'))
  ).toBe(serverPid);
});
