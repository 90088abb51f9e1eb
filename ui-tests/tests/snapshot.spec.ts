/**
 * The extension as a person uses it: real JupyterLab, real server extension, the bundled
 * ModelArts emulator as a separate process; no request is intercepted.
 */
import { expect, galata, test } from '@jupyterlab/galata';
import type { APIRequestContext, Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

const EMULATOR = 'http://127.0.0.1:8090';
const ARTIFACTS = 'test-results/screenshots';
const SERVER_PID_FILE = path.join(__dirname, '..', '.jupyter-server.pid');
// The folder the server walks as the container's filesystem (see the server config).
const CONTAINER_FILE = path.join(__dirname, '..', '.preflight-root');

async function emulator(
  request: APIRequestContext,
  path: string,
  data?: unknown
): Promise<any> {
  const response = data
    ? await request.post(`${EMULATOR}${path}`, { data })
    : await request.get(`${EMULATOR}${path}`);
  expect(response.ok()).toBeTruthy();
  return response.json();
}

/** A fresh emulator whose saves stay INIT for 1 s, then CREATING for `creatingSeconds`. */
async function freshEmulator(
  request: APIRequestContext,
  creatingSeconds: number
): Promise<void> {
  await emulator(request, '/_emulator/reset', {});
  await emulator(request, '/_emulator/config', {
    init_seconds: 1,
    creating_seconds: creatingSeconds
  });
}

/** The notifications JupyterLab holds, as [type, message] pairs. */
async function notifications(page: Page): Promise<string[][]> {
  return (await page.notifications).map(item => [
    item.type ?? '',
    item.message
  ]);
}

async function expectNotification(page: Page, type: string, text: string) {
  await expect
    .poll(
      async () =>
        (await notifications(page)).some(
          ([kind, message]) => kind === type && message.includes(text)
        ),
      { timeout: 30000 }
    )
    .toBe(true);
}

async function createCount(request: APIRequestContext): Promise<number> {
  return (
    (await emulator(request, '/_emulator/requests')).counts.create_image ?? 0
  );
}

function dialog(page: Page) {
  return page.locator('.jp-Dialog');
}

function panel(page: Page) {
  return page.locator('#jp-modelarts-snapshot-panel');
}

async function fillForm(page: Page, name: string, namespace: string) {
  const form = dialog(page);
  await expect(form.getByLabel('Name', { exact: true })).toBeVisible();
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByLabel('Namespace').fill(namespace);
  await reportReady(page);
}

/** Wait for the tag check that follows typing, then for the report it gives. */
async function reportReady(page: Page) {
  await page.waitForTimeout(800);
  await expect(
    dialog(page).locator('.jp-ModelArtsSnapshot-reportStatus')
  ).toHaveText(/The report is ready/, { timeout: 30000 });
}

function check(page: Page, id: string) {
  return dialog(page).locator(
    `.jp-ModelArtsSnapshot-check[data-check="${id}"]`
  );
}

test.describe('Save as image', () => {
  test.beforeEach(async ({ request }) => {
    await freshEmulator(request, 5);
  });

  test('toolbar button, form, and the panel following the save to ACTIVE', async ({
    page,
    request
  }) => {
    await page.notebook.createNew();
    const button = page
      .locator('.jp-NotebookPanel-toolbar')
      .getByRole('button', { name: 'Save as image' });
    await button.click();

    await expect(dialog(page)).toBeVisible();
    await expect(dialog(page)).toContainText('pauses this instance');
    const tag = dialog(page).getByLabel('Tag');
    await expect(tag).toHaveValue(/^\d{8}$/);
    await fillForm(page, 'ui-env', 'atelier-auto');
    await dialog(page).getByLabel('Description').fill('Saved from the UI test');
    await reportReady(page);
    // The new notebook has unsaved changes: the dialog offers to save them.
    await expect(dialog(page)).toContainText('Unsaved documents: Untitled');
    await dialog(page).getByRole('button', { name: 'Save all' }).click();
    await expect(dialog(page)).not.toContainText('Unsaved documents');
    await dialog(page).screenshot({ path: `${ARTIFACTS}/form.png` });
    await dialog(page).getByLabel('Namespace').press('Enter');
    await expect(dialog(page)).toHaveCount(0);

    await expect(panel(page)).toBeVisible();
    const current = panel(page).locator('.jp-ModelArtsSnapshot-job').first();
    await expect(current).toContainText('ui-env');
    await expect(current).toHaveAttribute('data-status', /INIT|CREATING/);
    await expect(
      page.locator('.jp-ModelArtsSnapshot-statusButton')
    ).toContainText('Saving image ui-env');
    await expect(current).toHaveAttribute('data-status', 'ACTIVE', {
      timeout: 60000
    });
    await expect(current).toContainText(
      'swr.cn-north-4.myhuaweicloud.com/atelier-auto/ui-env:'
    );
    await expect(current).toContainText('Saved (ACTIVE)');
    await expect(
      current.getByRole('button', { name: /Copy command docker pull/ })
    ).toBeVisible();
    await expectNotification(page, 'success', 'is saved');
    await page.screenshot({ path: `${ARTIFACTS}/panel.png` });
    expect(await createCount(request)).toBe(1);
  });

  test('an invalid name shows its message and sends nothing', async ({
    page,
    request
  }) => {
    await page.menu.clickMenuItem('File>Save as Image…');
    await expect(dialog(page)).toBeVisible();
    await fillForm(page, 'Bad Name', 'atelier-auto');
    const name = dialog(page).getByLabel('Name', { exact: true });
    await expect(name).toHaveAttribute('aria-invalid', 'true');
    await expect(dialog(page)).toContainText('lowercase letters');
    const save = dialog(page).getByRole('button', {
      name: 'Save',
      exact: true
    });
    await expect(save).toBeDisabled();
    await name.press('Enter');
    await expect(dialog(page)).toBeVisible();
    await name.fill('good-name');
    await expect(save).toBeEnabled();
    await dialog(page).getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog(page)).toHaveCount(0);
    expect(await createCount(request)).toBe(0);
  });

  test('a save ModelArts fails shows CREATE_FAILED, its reason and a notification (palette)', async ({
    page,
    request
  }) => {
    await emulator(request, '/_emulator/config', {
      fail_next_save: 'container size 62G is greater than threshold 50G'
    });
    await page.keyboard.press('Control+Shift+C');
    await page.locator('#modal-command-palette input').fill('Save as Image');
    await page.keyboard.press('Enter');
    await fillForm(page, 'too-big', 'atelier-auto');
    await dialog(page)
      .getByRole('button', { name: 'Save', exact: true })
      .click();

    const job = panel(page).locator('.jp-ModelArtsSnapshot-job').first();
    await expect(job).toContainText('too-big');
    await expect(job).toHaveAttribute('data-status', 'CREATE_FAILED', {
      timeout: 60000
    });
    await expect(job).toContainText(
      'container size 62G is greater than threshold 50G'
    );
    await expectNotification(page, 'error', 'greater than threshold');
    expect(await createCount(request)).toBe(1);
  });
});

test.describe('A save ModelArts refuses', () => {
  test.beforeEach(async ({ request }) => {
    await emulator(request, '/_emulator/reset', {});
  });

  test('a duplicate name:tag is refused, and the panel and notification give the request ID', async ({
    page,
    request
  }) => {
    await page.notebook.createNew();
    await page
      .locator('.jp-NotebookPanel-toolbar')
      .getByRole('button', { name: 'Save as image' })
      .click();
    // The tag check cannot list the organization's tags, so only ModelArts sees the duplicate.
    await emulator(request, '/_emulator/faults', {
      route: 'list_image',
      status: 400,
      count: 50
    });
    await fillForm(page, 'dup-env', 'atelier-auto');
    const tag = await dialog(page).getByLabel('Tag').inputValue();
    // The same name:tag saved earlier (from another instance, say): ModelArts refuses it.
    await emulator(request, '/_emulator/images', {
      name: 'dup-env',
      namespace: 'atelier-auto',
      tag
    });
    await dialog(page)
      .getByLabel('Save anyway, despite the warnings above')
      .check(); // the new notebook is unsaved
    await dialog(page)
      .getByRole('button', { name: 'Save', exact: true })
      .click();

    await expectNotification(page, 'error', 'Conflict tag');
    await expectNotification(page, 'error', 'ModelArts request ID');
    const alert = panel(page).locator('.jp-ModelArtsSnapshot-saveError');
    await expect(alert).toContainText(`Conflict tag ${tag} for image dup-env`);
    await expect(alert.locator('.jp-ModelArtsSnapshot-requestId')).toHaveText(
      /ModelArts request ID \(for Huawei support\): [0-9a-f]{32}$/
    );
    await panel(page).screenshot({ path: `${ARTIFACTS}/panel-refused.png` });
    expect(await createCount(request)).toBe(1);
  });
});

test.describe('The pre-flight report', () => {
  test.beforeEach(async ({ request }) => {
    await emulator(request, '/_emulator/reset', {});
  });

  test('shows what the image adds, cleans a cache after a confirmation, and saves', async ({
    page,
    request
  }) => {
    const container = fs.readFileSync(CONTAINER_FILE, 'utf8');
    const pipCache = path.join(container, 'home/ma-user/.cache/pip');
    const credentials = path.join(container, 'home/ma-user/.ssh/id_ed25519');
    const blob = path.join(pipCache, 'http-v2/a/b/blob.body');
    fs.mkdirSync(path.dirname(blob), { recursive: true });
    fs.writeFileSync(blob, Buffer.alloc(3_000_000, 1));
    fs.mkdirSync(path.dirname(credentials), { recursive: true });
    fs.writeFileSync(credentials, '-----BEGIN OPENSSH PRIVATE KEY-----\nxyz\n');
    try {
      await page.notebook.createNew();
      await page
        .locator('.jp-NotebookPanel-toolbar')
        .getByRole('button', { name: 'Save as image' })
        .click();
      await fillForm(page, 'checked-env', 'atelier-auto');
      const report = dialog(page).getByRole('region', {
        name: 'What the image will hold'
      });
      await expect(report.locator('meter')).toBeVisible();
      await expect(report).toContainText('The image grows by');
      await expect(check(page, 'caches')).toContainText(pipCache);
      await expect(check(page, 'secrets')).toContainText(
        `${credentials} (private-key)`
      );
      await expect(check(page, 'secrets')).toContainText(
        'anyone who can pull the image can read them'
      );
      await expect(check(page, 'secrets')).toContainText('Warning');
      await expect(check(page, 'instance')).toContainText('OK');

      // Cleaning asks first and says what goes.
      await check(page, 'caches')
        .getByRole('button', { name: /^Clean up / })
        .click();
      const confirm = dialog(page).getByRole('group', {
        name: 'Confirm the cleanup'
      });
      await expect(confirm).toContainText(pipCache);
      await expect(confirm).toContainText('nothing in the work volume');
      await dialog(page).screenshot({ path: `${ARTIFACTS}/preflight.png` });
      await confirm.getByRole('button', { name: /^Delete / }).click();
      await expect(check(page, 'caches')).toContainText(
        'No known cache adds to the image'
      );
      await expect(dialog(page)).toContainText('Cleaned up');
      expect(fs.existsSync(blob)).toBe(false);

      // A warning is confirmed with "Save anyway"; then Save goes.
      const save = dialog(page).getByRole('button', {
        name: 'Save',
        exact: true
      });
      await expect(save).toBeDisabled();
      await dialog(page)
        .getByLabel('Save anyway, despite the warnings above')
        .check();
      await expect(save).toBeEnabled();
      await save.click();
      await expect(dialog(page)).toHaveCount(0);
      const current = panel(page).locator('.jp-ModelArtsSnapshot-job').first();
      await expect(current).toContainText('checked-env');
      expect(await createCount(request)).toBe(1);
    } finally {
      fs.rmSync(credentials, { force: true });
    }
  });

  test('a tag the organization has blocks Save and the proposed tag unblocks it', async ({
    page,
    request
  }) => {
    await page.menu.clickMenuItem('File>Save as Image…');
    await fillForm(page, 'tagged-env', 'atelier-auto');
    const tagField = dialog(page).getByLabel('Tag');
    const tag = await tagField.inputValue();
    await emulator(request, '/_emulator/images', {
      name: 'tagged-env',
      namespace: 'atelier-auto',
      tag
    });
    await tagField.fill(tag); // typing again checks the tag again
    await reportReady(page);
    await expect(check(page, 'tag')).toContainText('already exists', {
      timeout: 30000
    });
    await expect(check(page, 'tag')).toContainText('Blocks the save');
    const save = dialog(page).getByRole('button', {
      name: 'Save',
      exact: true
    });
    await expect(save).toBeDisabled();
    await check(page, 'tag')
      .getByRole('button', { name: `Use tag ${tag}-2` })
      .click();
    await expect(tagField).toHaveValue(`${tag}-2`);
    await reportReady(page);
    await expect(save).toBeEnabled();
    await save.click();
    await expect(dialog(page)).toHaveCount(0);
    await expect(
      panel(page).locator('.jp-ModelArtsSnapshot-job').first()
    ).toContainText(`tagged-env:${tag}-2`);
    expect(await createCount(request)).toBe(1);
  });
});

test.describe('What the image holds', () => {
  test.beforeEach(async ({ request }) => {
    await freshEmulator(request, 2);
  });

  test('the dialog and the history say what a save adds, and the Dockerfile downloads', async ({
    page
  }) => {
    // An apt package installed after the container started.
    const container = fs.readFileSync(CONTAINER_FILE, 'utf8');
    const status = path.join(container, 'var/lib/dpkg/status');
    if (!fs.readFileSync(status, 'utf8').includes('Package: htop')) {
      fs.appendFileSync(
        status,
        '\nPackage: htop\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.0.5-7build2\n'
      );
    }
    await page.menu.clickMenuItem('File>Save as Image…');
    await fillForm(page, 'manifest-env', 'atelier-auto');
    const changes = dialog(page).getByRole('region', {
      name: 'What the image adds to its parent'
    });
    await expect(changes).toContainText('+1 apt package');
    await expect(changes).toContainText('Lineage (1 save): this save');
    await changes.locator('summary').click();
    await expect(changes).toContainText('apt + htop 3.0.5-7build2');
    await dialog(page).screenshot({ path: `${ARTIFACTS}/changes.png` });
    await dialog(page)
      .getByRole('button', { name: 'Save', exact: true })
      .click();
    await expect(dialog(page)).toHaveCount(0);

    const entry = panel(page).locator('.jp-ModelArtsSnapshot-job').first();
    await expect(entry).toContainText('manifest-env');
    await expect(entry).toContainText('+1 apt package');
    await expect(entry).toHaveAttribute('data-status', 'ACTIVE', {
      timeout: 60000
    });
    const downloading = page.waitForEvent('download');
    await entry.getByRole('link', { name: /^Download Dockerfile of / }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe('Dockerfile');
    const dockerfile = fs.readFileSync(await download.path(), 'utf8');
    expect(dockerfile).toContain('FROM swr.');
    expect(dockerfile).toContain('htop=3.0.5-7build2');
    await panel(page).screenshot({ path: `${ARTIFACTS}/history-changes.png` });
  });
});

test.describe('In Chinese', () => {
  /** Choose JupyterLab's language and load the page again in it. */
  async function useLanguage(page: Page, locale: string) {
    await page.evaluate(async locale => {
      await window.jupyterapp.serviceManager.settings.save(
        '@jupyterlab/translation-extension:plugin',
        JSON.stringify({ locale })
      );
    }, locale);
    // galata's own reload waits for a tab named "Launcher", which is "启动页" in Chinese.
    await page.evaluate(() => location.reload());
    await page.waitForSelector('#jupyterlab-splash', { state: 'detached' });
    await page.waitForFunction(() => window.jupyterapp?.started);
  }

  test.beforeEach(async ({ request }) => {
    await freshEmulator(request, 2);
  });

  test('the toolbar button, the form, the server messages, the report and the panel are in Chinese', async ({
    page
  }) => {
    await useLanguage(page, 'zh_CN');
    try {
      // galata's notebook helpers look for English labels: open one by its command.
      await page.evaluate(async () => {
        await window.jupyterapp.commands.execute('notebook:create-new', {
          kernelName: 'python3'
        });
      });
      await page
        .locator('.jp-NotebookPanel-toolbar')
        .getByRole('button', { name: '保存镜像' })
        .click();
      const form = dialog(page);
      for (const label of ['镜像名称', '组织', '镜像版本', '描述']) {
        await expect(form.getByLabel(label, { exact: true })).toBeVisible();
      }
      await form.getByLabel('镜像名称', { exact: true }).fill('Bad Name');
      await expect(form).toContainText('请使用 1 到 128 个小写字母');
      await expect(form).not.toContainText('lowercase letters');
      const report = form.getByRole('region', { name: '镜像将包含的内容' });
      await expect(report).toContainText('检查报告已就绪', { timeout: 30000 });
      await form.screenshot({ path: `${ARTIFACTS}/form-zh.png` });

      // The report's checks are the server's words, asked for in the page's language.
      await form.getByLabel('镜像名称', { exact: true }).fill('zh-env');
      await form.getByLabel('组织', { exact: true }).fill('atelier-auto');
      await page.waitForTimeout(800); // the tag check that follows typing
      const checks = report.locator('.jp-ModelArtsSnapshot-checkMessage');
      await expect(
        checks.filter({ hasText: '在组织 atelier-auto 中尚未被占用' })
      ).toHaveCount(1, {
        timeout: 30000
      });
      await expect(
        checks.filter({ hasText: '保存将为此实例运行的镜像增加' })
      ).toHaveCount(1);
      for (const english of [
        'The save adds',
        'is not taken',
        'The instance is running'
      ]) {
        await expect(report).not.toContainText(english);
      }

      // The form checks a name before it is sent; the server checks it again for any client,
      // and answers the page's language (what the page sends as Accept-Language).
      const refusal = await page.evaluate(async () => {
        const services = window.jupyterapp.serviceManager;
        const language = await services.settings.fetch(
          '@jupyterlab/translation-extension:plugin'
        );
        const locale = (language.settings as { locale?: string }).locale ?? '';
        const settings = services.serverSettings;
        const response = await fetch(
          `${settings.baseUrl}modelarts-snapshot/jobs`,
          {
            method: 'POST',
            headers: {
              Authorization: `token ${settings.token}`,
              'Accept-Language': locale.replace('_', '-')
            },
            body: JSON.stringify({
              name: 'Bad Name',
              namespace: 'atelier-auto'
            })
          }
        );
        return { status: response.status, body: await response.json() };
      });
      expect(refusal.status).toBe(400);
      expect(refusal.body.field).toBe('name');
      expect(refusal.body.message).toContain('镜像名称“Bad Name”不符合要求');
      expect(refusal.body.message).not.toContain('is not allowed');

      // A save, and its status words in the panel.
      await form.getByRole('button', { name: '全部保存' }).click(); // the new notebook
      await expect(form).not.toContainText('Untitled');
      await form.getByRole('button', { name: '保存', exact: true }).click();
      const job = panel(page).locator('.jp-ModelArtsSnapshot-job').first();
      await expect(job).toHaveAttribute('data-status', 'ACTIVE', {
        timeout: 60000
      });
      const status = job.locator('.jp-ModelArtsSnapshot-status');
      await expect(status).toContainText('已保存');
      await expect(status).not.toContainText('Saved');
      await expect(panel(page)).toContainText('历史记录');
      await expect(panel(page)).not.toContainText('History');
      await expect(panel(page)).not.toContainText('Namespace');
      await panel(page).screenshot({ path: `${ARTIFACTS}/panel-zh.png` });

      // The settings, in the Settings Editor.
      await page.evaluate(async () => {
        await window.jupyterapp.commands.execute('settingeditor:open', {
          query: 'ModelArts'
        });
      });
      const settings = page.getByRole('group', { name: 'ModelArts 镜像快照' });
      await expect(
        settings.getByRole('heading', { name: '轮询间隔（秒）' })
      ).toBeVisible({ timeout: 20000 });
      await expect(settings).toContainText('只有服务器会查询 ModelArts');
      await expect(settings).not.toContainText('Poll interval');
    } finally {
      await useLanguage(page, 'en');
    }
  });
});

test.describe('The instance pause', () => {
  test.beforeEach(async ({ request }) => {
    await freshEmulator(request, 45);
  });

  test('the server stops answering during CREATING: the panel says paused, then resumes by itself', async ({
    page,
    request
  }) => {
    // The command resolves when its dialog closes: start it, do not wait for it.
    await page.evaluate(() => {
      void window.jupyterapp.commands.execute('modelarts-snapshot:save');
    });
    await fillForm(page, 'paused-env', 'atelier-auto');
    await dialog(page)
      .getByRole('button', { name: 'Save', exact: true })
      .click();
    const current = panel(page).locator('.jp-ModelArtsSnapshot-job').first();
    await expect(current).toHaveAttribute('data-status', 'CREATING', {
      timeout: 30000
    });

    // What committing the container does to the Jupyter server inside it.
    const pid = Number(fs.readFileSync(SERVER_PID_FILE, 'utf8'));
    process.kill(pid, 'SIGSTOP');
    try {
      await expect(
        panel(page).locator('.jp-ModelArtsSnapshot-paused')
      ).toContainText('paused while ModelArts saves the image', {
        timeout: 40000
      });
      await expect(
        page.locator('.jp-ModelArtsSnapshot-statusButton')
      ).toContainText('instance paused');
      await expect(current).toHaveAttribute('data-status', 'CREATING'); // nothing lost
    } finally {
      process.kill(pid, 'SIGCONT');
    }

    await expect(
      panel(page).locator('.jp-ModelArtsSnapshot-paused')
    ).toHaveCount(0, {
      timeout: 60000
    });
    await expect(current).toHaveAttribute('data-status', 'ACTIVE', {
      timeout: 90000
    });
    await expect(dialog(page)).toHaveCount(0); // no error dialog at any point
    const errors = (await notifications(page)).filter(
      ([kind]) => kind === 'error'
    );
    expect(errors).toEqual([]);
    expect(await createCount(request)).toBe(1);
  });
});

test.describe('Not ready', () => {
  test.use({ baseURL: 'http://localhost:8889' });

  test('the panel says why and how to fix it', async ({ page }) => {
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('modelarts-snapshot:open-panel');
    });
    const problems = panel(page).locator('.jp-ModelArtsSnapshot-problems');
    await expect(problems).toContainText('MODELARTS_NOTEBOOK_ID', {
      timeout: 30000
    });
    await expect(problems).toContainText('HUAWEICLOUD_SDK_AK');
    await page.locator('.jp-ModelArtsSnapshot-header button').click();
    await expectNotification(page, 'error', 'cannot save an image yet');
    await expect(dialog(page)).toHaveCount(0);
  });
});

test.describe('Without the server extension', () => {
  test.use({ baseURL: 'http://localhost:8890' });

  test('the panel and the Save command say that the server extension is not loaded', async ({
    page
  }) => {
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('modelarts-snapshot:open-panel');
    });
    const missing = panel(page).locator('.jp-ModelArtsSnapshot-serverMissing');
    await expect(missing).toContainText('server extension is not loaded', {
      timeout: 30000
    });
    await expect(missing).toContainText('jupyter modelarts-snapshot install');
    await expect(missing).toContainText('jupyter server extension list');
    await expect(missing).toContainText('Jupyter server log');
    await expect(
      panel(page).getByRole('button', { name: 'Save as image' })
    ).toBeDisabled();
    await panel(page).screenshot({
      path: `${ARTIFACTS}/panel-no-server-extension.png`
    });

    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('modelarts-snapshot:save');
    });
    await expectNotification(page, 'error', 'server extension is not loaded');
    await expect(dialog(page)).toHaveCount(0);
  });
});

void galata;
