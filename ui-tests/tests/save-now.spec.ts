/**
 * "Save now": while the pre-flight walk still runs, the Save dialog offers to save without
 * waiting for the size estimate. Real JupyterLab, real server extension, the bundled ModelArts
 * emulator; no request is intercepted. The walk is held by the server config's `find`, which
 * waits while a gate file exists (its path is in `.walk-gate`); no other test makes the gate.
 */
import { expect, galata, test } from '@jupyterlab/galata';
import type { APIRequestContext, Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

const EMULATOR = 'http://127.0.0.1:8090';
const ARTIFACTS = 'test-results/screenshots';
// Names the file whose existence holds every find of the pre-flight walk (see the server
// config); read when needed, since the server writes it when it starts.
const WALK_GATE_FILE = path.join(__dirname, '..', '.walk-gate');
const LOOKING =
  /^Looking at what the image will add: \d+ changed files, .* so far…$/;

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

/** The server's answer to a GET under `modelarts-snapshot/` (the 8888 server has no token). */
async function server(request: APIRequestContext, route: string) {
  const response = await request.get(`/modelarts-snapshot/${route}`);
  expect(response.ok()).toBeTruthy();
  return response.json();
}

function walkGate(): string {
  return fs.readFileSync(WALK_GATE_FILE, 'utf8').trim();
}

function closeGate(): void {
  fs.writeFileSync(walkGate(), '');
}

function openGate(): void {
  fs.rmSync(walkGate(), { force: true });
}

function dialog(page: Page) {
  return page.locator('.jp-Dialog');
}

function report(page: Page) {
  return dialog(page).getByRole('region', {
    name: 'What the image will hold'
  });
}

function panel(page: Page) {
  return page.locator('#jp-modelarts-snapshot-panel');
}

test.describe('Save now', () => {
  test.beforeEach(async ({ request }) => {
    openGate();
    await emulator(request, '/_emulator/reset', {});
    await emulator(request, '/_emulator/config', {
      init_seconds: 1,
      creating_seconds: 5
    });
  });

  // The server joins a running walk: the next test's dialog must not wait on this one's.
  test.afterEach(async ({ request }) => {
    openGate();
    await expect
      .poll(async () => (await server(request, 'preflight')).state, {
        timeout: 30000
      })
      .not.toBe('running');
  });

  test('during a slow walk, Save now saves without the size estimate and the record says so', async ({
    page,
    request
  }) => {
    const tag = `now-${Date.now()}`;
    closeGate();
    try {
      await page.menu.clickMenuItem('File>Save as Image…');
      await expect(dialog(page)).toBeVisible();
      const status = report(page).locator('.jp-ModelArtsSnapshot-reportStatus');
      await expect(status).toHaveText(LOOKING);
      const saveNowBox = report(page).locator('.jp-ModelArtsSnapshot-saveNow');
      await expect(saveNowBox).toBeVisible();
      await expect(saveNowBox).toContainText('Save now skips the size check');
      await expect(saveNowBox).toContainText(
        'ModelArts refuses an image over its size limit only after pausing the instance'
      );
      await expect(saveNowBox).toContainText(
        'The instance and the tag are still checked.'
      );

      const form = dialog(page);
      await form.getByLabel('Name', { exact: true }).fill('now-env');
      await form.getByLabel('Namespace').fill('atelier-auto');
      await form.getByLabel('Tag').fill(tag);
      await page.waitForTimeout(800); // the tag check that follows typing joins the walk
      // Still walking: the dialog's own Save waits for the report, Save now does not.
      await expect(status).toHaveText(LOOKING);
      await expect(saveNowBox).toBeVisible();
      await expect(
        form.getByRole('button', { name: 'Save', exact: true })
      ).toBeDisabled();
      expect((await server(request, 'preflight')).state).toBe('running');
      await report(page).screenshot({ path: `${ARTIFACTS}/save-now.png` });
      await saveNowBox.getByRole('button', { name: 'Save now' }).click();
      await expect(dialog(page)).toHaveCount(0);

      const entry = panel(page).locator('.jp-ModelArtsSnapshot-job').first();
      await expect(entry).toContainText(`now-env:${tag}`);
      // The save went while the walk was still held: it did not wait for the estimate.
      expect((await server(request, 'preflight')).state).toBe('running');
      await expect(entry).toHaveAttribute('data-status', 'ACTIVE', {
        timeout: 60000
      });
      await expect(entry).toContainText('Saved (ACTIVE)');
      await expect(
        entry.locator('.jp-ModelArtsSnapshot-sizeCheckSkipped')
      ).toHaveText(
        'Size check skipped: saved without waiting for the size estimate.'
      );
      await panel(page).screenshot({ path: `${ARTIFACTS}/panel-save-now.png` });

      const counts = (await emulator(request, '/_emulator/requests')).counts;
      expect(counts.create_image ?? 0).toBe(1);
      const id = await entry.getAttribute('data-id');
      expect(id).toBeTruthy();
      const job = await server(request, `jobs/${id}`);
      expect(job.status).toBe('ACTIVE');
      expect(job.tag).toBe(tag);
      expect(job.size_check_skipped).toBe(true);
    } finally {
      openGate();
    }

    // Once a walk has finished, the dialog no longer offers Save now.
    await page.menu.clickMenuItem('File>Save as Image…');
    await expect(dialog(page)).toBeVisible();
    await expect(
      report(page).locator('.jp-ModelArtsSnapshot-reportStatus')
    ).toHaveText('The report is ready.', { timeout: 30000 });
    await expect(report(page)).toContainText('The image grows by');
    await expect(
      report(page).locator('.jp-ModelArtsSnapshot-saveNow')
    ).toBeHidden();
    // (The box stays in the page, hidden: no button by that name is offered.)
    await expect(
      report(page).getByRole('button', { name: 'Save now' })
    ).toHaveCount(0);
    await dialog(page).getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog(page)).toHaveCount(0);
    expect(
      (await emulator(request, '/_emulator/requests')).counts.create_image ?? 0
    ).toBe(1);
  });
});

void galata;
