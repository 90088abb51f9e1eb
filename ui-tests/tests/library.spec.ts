/**
 * The saved images as a person sees them: real JupyterLab, the real server extension and the
 * bundled ModelArts emulator (with its SWR registry); no request is intercepted. Each test
 * seeds 30 images of 3 names in an organization of its own, so that the server's cached lists
 * of other tests' organizations do not matter.
 */
import { expect, test } from '@jupyterlab/galata';
import type { APIRequestContext, Locator, Page } from '@playwright/test';
import { execFileSync } from 'child_process';
import * as path from 'path';

const EMULATOR = 'http://127.0.0.1:8090';
const DOCS = path.join(__dirname, '..', '..', 'docs', 'images');
const HOUR = 3600 * 1000;

async function emulator(
  request: APIRequestContext,
  route: string,
  data?: unknown
): Promise<any> {
  const response = data
    ? await request.post(`${EMULATOR}${route}`, { data })
    : await request.get(`${EMULATOR}${route}`);
  expect(response.ok(), await response.text()).toBeTruthy();
  return response.json();
}

/** The emulator's requests since the last clear: counts per route, and the ordered log. */
async function requests(request: APIRequestContext): Promise<any> {
  return emulator(request, '/_emulator/requests');
}

async function clearRequests(request: APIRequestContext): Promise<void> {
  expect((await request.delete(`${EMULATOR}/_emulator/requests`)).ok()).toBe(
    true
  );
}

/** An organization no other test (or earlier run against the same server) has listed. */
function freshOrganization(): string {
  return `libui${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
}

/**
 * Seed `count` images of each of `names`, one hour apart, the oldest first; their tags are
 * the name's initial and a number (b01 the oldest of lib-beta). Returns the emulator's views.
 */
async function seed(
  request: APIRequestContext,
  namespace: string,
  counts: Record<string, number>,
  extra: Record<string, Record<string, unknown>> = {}
): Promise<any[]> {
  const now = Date.now();
  const images: Record<string, unknown>[] = [];
  let hoursAgo = 60;
  for (let i = 1; i <= 10; i++) {
    for (const [name, count] of Object.entries(counts)) {
      if (i > count) {
        continue;
      }
      const tag = `${name.replace('lib-', '')[0]}${String(i).padStart(2, '0')}`;
      images.push({
        name,
        namespace,
        tag,
        status: 'ACTIVE',
        type: 'DEDICATED',
        size: (3 + ((i * 7) % 5)) * 1024 * 1024, // KB: 3 to 7 GB
        create_at: now - hoursAgo-- * HOUR,
        ...extra[tag]
      });
    }
  }
  const seeded = await emulator(request, '/_emulator/images', images);
  expect(seeded).toHaveLength(images.length);
  return seeded;
}

/** Save through the 8888 server's REST API (no token there) and wait until it is ACTIVE. */
async function save(
  request: APIRequestContext,
  namespace: string,
  name: string,
  tag: string
): Promise<any> {
  const response = await request.post('/modelarts-snapshot/jobs', {
    data: { name, namespace, tag, skip_size_check: true }
  });
  expect(response.ok(), await response.text()).toBeTruthy();
  const job = await response.json();
  let current: any = job;
  await expect
    .poll(
      async () => {
        current = await (
          await request.get(`/modelarts-snapshot/jobs/${job.id}`)
        ).json();
        return current.status === 'ACTIVE' && current.starts_next;
      },
      { timeout: 60000, intervals: [1000] }
    )
    .toBe(true);
  return current;
}

/** The SWR tags of a repository, asked of the emulator's registry as the SDK signs it. */
function swrTags(namespace: string, repository: string): string[] {
  const script = `
import json, sys, httpx
from jupyterlab_modelarts_snapshot.emulator import DEMO_ACCESS_KEY, DEMO_SECRET_KEY
from jupyterlab_modelarts_snapshot.signing import SdkHmacSha256Auth
ns, repo = sys.argv[1], sys.argv[2]
response = httpx.get(
    f"${EMULATOR}/v2/manage/namespaces/{ns}/repos/{repo}/tags",
    auth=SdkHmacSha256Auth(DEMO_ACCESS_KEY, DEMO_SECRET_KEY),
)
response.raise_for_status()
print(json.dumps([tag["Tag"] for tag in response.json()]))
`;
  const out = execFileSync('python', ['-c', script, namespace, repository], {
    encoding: 'utf-8'
  });
  return JSON.parse(out);
}

async function notified(page: Page, type: string, text: string) {
  await expect
    .poll(
      async () =>
        (await page.notifications).some(
          item => item.type === type && item.message.includes(text)
        ),
      { timeout: 30000 }
    )
    .toBe(true);
}

function panel(page: Page): Locator {
  return page.locator('#jp-modelarts-snapshot-panel');
}

function section(page: Page): Locator {
  return panel(page).locator('.jp-ModelArtsSnapshot-library');
}

function toggle(page: Page): Locator {
  return section(page).getByRole('button', { name: 'Saved images' });
}

function group(page: Page, namespace: string, name: string): Locator {
  return section(page).locator(
    `.jp-ModelArtsSnapshot-group[data-name="${namespace}/${name}"]`
  );
}

function row(groupLocator: Locator, tag: string): Locator {
  return groupLocator.locator(`.jp-ModelArtsSnapshot-image[data-tag="${tag}"]`);
}

function dialog(page: Page): Locator {
  return page.locator('.jp-Dialog');
}

async function openPanel(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('modelarts-snapshot:open-panel');
  });
  await expect(panel(page)).toBeVisible();
}

/** A larger window and a wider right sidebar, for the pictures. */
async function widenPanel(page: Page): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 960 });
  await page.sidebar.close('left');
  await page.evaluate(() => {
    const split = (window.jupyterapp.shell as any)._hsplitPanel;
    const sizes: number[] | undefined = split?.relativeSizes?.();
    if (sizes && sizes.length === 3) {
      split.setRelativeSizes([0, 0.5, 0.5]);
    }
  });
}

/** The panel, scrolled to the section, as the person sees it. */
async function pictureOfSection(page: Page, file: string): Promise<void> {
  await section(page).evaluate(element =>
    element.scrollIntoView({ block: 'start' })
  );
  const box = await panel(page).boundingBox();
  expect(box).not.toBeNull();
  await page.screenshot({ path: file, clip: box ?? undefined });
}

/** Open the section and list `namespace` through the organization field. */
async function listOrganization(page: Page, namespace: string): Promise<void> {
  await openPanel(page);
  await toggle(page).click();
  const field = section(page).getByLabel('Organization');
  await field.fill(namespace);
  await section(page)
    .getByRole('button', { name: 'Show', exact: true })
    .click();
  await expect(section(page)).toContainText(`30 saved image(s) of 3 name(s)`, {
    timeout: 30000
  });
}

test.describe('Saved images', () => {
  test.beforeEach(async ({ request }) => {
    await emulator(request, '/_emulator/reset', {});
    await emulator(request, '/_emulator/config', {
      init_seconds: 1,
      creating_seconds: 3
    });
  });

  test('groups every saved image by name, marks this instance’s, and lists once per cache lifetime', async ({
    page,
    request
  }) => {
    test.setTimeout(180 * 1000);
    const org = freshOrganization();
    // 28 seeded (another instance's saves) and 2 saved by this instance: 30 of 3 names.
    await seed(
      request,
      org,
      { 'lib-alpha': 8, 'lib-beta': 10, 'lib-gamma': 10 },
      { g10: { status: 'CREATING' } }
    );
    const first = await save(request, org, 'lib-alpha', 'ui-1');
    const second = await save(request, org, 'lib-alpha', 'ui-2');
    await clearRequests(request);

    await openPanel(page);
    // The history says which save the next start runs from.
    const history = panel(page).locator('.jp-ModelArtsSnapshot-jobs');
    await expect(
      history.locator(
        `[data-id="${second.id}"] .jp-ModelArtsSnapshot-startsNext`
      )
    ).toHaveText('The next start of this instance runs from this image.', {
      timeout: 30000
    });
    await expect(
      history.locator(
        `[data-id="${first.id}"] .jp-ModelArtsSnapshot-startsNext`
      )
    ).toHaveCount(0);
    // Nothing is listed until the section opens.
    await expect(toggle(page)).toHaveAttribute('aria-expanded', 'false');
    expect((await requests(request)).counts.list_image ?? 0).toBe(0);

    const started = Date.now();
    await toggle(page).click();
    const alpha = group(page, org, 'lib-alpha');
    await expect(alpha).toBeVisible({ timeout: 30000 });
    const shownIn = Date.now() - started;
    console.log(`library: 30 images listed and shown in ${shownIn} ms`);
    const names = await section(page)
      .locator('.jp-ModelArtsSnapshot-group')
      .evaluateAll(items => items.map(item => item.getAttribute('data-name')));
    // The group with the newest image first: this instance's saves are the newest.
    expect(names.filter(name => name?.startsWith(`${org}/`))).toEqual([
      `${org}/lib-alpha`,
      `${org}/lib-gamma`,
      `${org}/lib-beta`
    ]);
    for (const name of ['lib-alpha', 'lib-beta', 'lib-gamma']) {
      await expect(
        group(page, org, name).locator('.jp-ModelArtsSnapshot-groupCount')
      ).toHaveText('10 images');
      await expect(
        group(page, org, name).locator('.jp-ModelArtsSnapshot-image')
      ).toHaveCount(10);
    }
    const tags = await alpha
      .locator('.jp-ModelArtsSnapshot-image')
      .evaluateAll(items => items.map(item => item.getAttribute('data-tag')));
    expect(tags.slice(0, 3)).toEqual(['ui-2', 'ui-1', 'a08']);

    // The marks: the save the next start runs from, and both saves of this instance.
    const next = row(alpha, 'ui-2');
    await expect(next).toContainText('Starts next');
    await expect(next).toContainText('From this instance');
    await expect(next.getByRole('button', { name: /Delete/ })).toBeDisabled();
    await expect(next.getByRole('button', { name: /Delete/ })).toHaveAttribute(
      'title',
      /next start of this instance/
    );
    const earlier = row(alpha, 'ui-1');
    await expect(earlier).toContainText('From this instance');
    await expect(earlier).not.toContainText('Starts next');
    await expect(earlier.getByRole('button', { name: /Delete/ })).toBeEnabled();
    const seeded = row(alpha, 'a08');
    await expect(seeded).not.toContainText('From this instance');
    await expect(seeded).toContainText('Saved');
    await expect(seeded).toContainText(/\d GB/);
    // An image still being saved cannot be deleted, and says why.
    const creating = row(group(page, org, 'lib-gamma'), 'g10');
    await expect(
      creating.getByRole('button', { name: /Delete/ })
    ).toBeDisabled();
    await expect(
      creating.getByRole('button', { name: /Delete/ })
    ).toHaveAttribute('title', /still being saved/);

    await widenPanel(page);
    await pictureOfSection(page, path.join(DOCS, 'library.png'));

    // Opened again within the cache's lifetime: no new list calls.
    const listed = (await requests(request)).counts.list_image ?? 0;
    expect(listed).toBeGreaterThan(0);
    await toggle(page).click();
    await expect(alpha).toHaveCount(0);
    await toggle(page).click();
    await expect(alpha).toBeVisible();
    await expect(section(page)).not.toContainText('Listing the saved images');
    expect((await requests(request)).counts.list_image ?? 0).toBe(listed);

    // Refresh reads ModelArts again.
    await section(page).getByRole('button', { name: 'Refresh' }).click();
    await expect
      .poll(async () => (await requests(request)).counts.list_image ?? 0)
      .toBeGreaterThan(listed);
  });

  test('Delete takes the registration only unless the SWR image is chosen too', async ({
    page,
    request
  }) => {
    const org = freshOrganization();
    const seeded = await seed(request, org, {
      'lib-alpha': 10,
      'lib-beta': 10,
      'lib-gamma': 10
    });
    const idOf = (tag: string) => seeded.find(image => image.tag === tag).id;
    await listOrganization(page, org);
    const gamma = group(page, org, 'lib-gamma');

    // Registration only, the default.
    await clearRequests(request);
    await row(gamma, 'g05')
      .getByRole('button', { name: /Delete/ })
      .click();
    await expect(dialog(page)).toContainText(`${org}/lib-gamma:g05`);
    const registrationOnly = dialog(page).getByRole('radio', {
      name: /The ModelArts registration only/
    });
    const withSwr = dialog(page).getByRole('radio', {
      name: /The registration and the SWR image with its storage/
    });
    await expect(registrationOnly).toBeChecked();
    await expect(withSwr).not.toBeChecked();
    await dialog(page)
      .locator('.jp-Dialog-content')
      .screenshot({ path: path.join(DOCS, 'library-delete.png') });
    await dialog(page)
      .getByRole('button', { name: 'Delete', exact: true })
      .click();
    await notified(
      page,
      'success',
      `Deleted the ModelArts registration of ${org}/lib-gamma:g05. Its SWR image stays`
    );
    await expect(row(gamma, 'g05')).toHaveCount(0);
    let log = (await requests(request)).log;
    expect(
      log
        .filter((entry: any) => entry.route === 'delete_image')
        .map((entry: any) => [entry.image_id, entry.force])
    ).toEqual([[idOf('g05'), null]]);
    expect(log.filter((entry: any) => entry.route.startsWith('swr_'))).toEqual(
      []
    );
    expect(swrTags(org, 'lib-gamma')).toContain('g05'); // its storage stays

    // With the SWR image, chosen explicitly: the force form, and the tag goes.
    await clearRequests(request);
    await row(gamma, 'g04')
      .getByRole('button', { name: /Delete/ })
      .click();
    await expect(dialog(page)).toContainText(`${org}/lib-gamma:g04`);
    await dialog(page)
      .getByRole('radio', {
        name: /The registration and the SWR image with its storage/
      })
      .check();
    await dialog(page)
      .getByRole('button', { name: 'Delete', exact: true })
      .click();
    await notified(
      page,
      'success',
      `Deleted ${org}/lib-gamma:g04: its ModelArts registration and its SWR image`
    );
    await expect(row(gamma, 'g04')).toHaveCount(0);
    log = (await requests(request)).log;
    expect(
      log
        .filter((entry: any) => entry.route === 'delete_image')
        .map((entry: any) => [entry.image_id, entry.force])
    ).toEqual([[idOf('g04'), 'query']]);
    // After the forced delete, SWR is asked to delete the tag (404 when the force took it).
    expect(
      log
        .filter((entry: any) => entry.route === 'swr_delete_tag')
        .map((entry: any) => entry.tag)
    ).toEqual(['g04']);
    expect(swrTags(org, 'lib-gamma')).not.toContain('g04');
    await expect(gamma.locator('.jp-ModelArtsSnapshot-groupCount')).toHaveText(
      '8 images'
    );
  });

  test('Keep newest 2 lists the older images, then deletes exactly those', async ({
    page,
    request
  }) => {
    const org = freshOrganization();
    const seeded = await seed(request, org, {
      'lib-alpha': 10,
      'lib-beta': 10,
      'lib-gamma': 10
    });
    await listOrganization(page, org);
    const beta = group(page, org, 'lib-beta');
    await beta
      .getByRole('button', {
        name: `Keep the newest images of ${org}/lib-beta`
      })
      .click();
    const keep = dialog(page).getByLabel('Images to keep');
    await expect(keep).toHaveValue('3');
    await keep.fill('2');
    await expect(
      dialog(page).getByRole('radio', {
        name: /The ModelArts registrations only/
      })
    ).toBeChecked();
    await dialog(page)
      .getByRole('button', { name: 'List what would go' })
      .click();

    // The dry run's list: the 8 older images, newest first; nothing was deleted yet.
    const older = ['b08', 'b07', 'b06', 'b05', 'b04', 'b03', 'b02', 'b01'];
    const listed = dialog(page).locator('.jp-ModelArtsSnapshot-pruneDelete li');
    await expect(listed).toHaveCount(8);
    expect(await listed.locator('code').allTextContents()).toEqual(
      older.map(tag => `${org}/lib-beta:${tag}`)
    );
    await expect(dialog(page)).toContainText('The newest 2 stay: b10, b09');
    const ids = await listed.evaluateAll(items =>
      items.map(item => item.getAttribute('data-id'))
    );
    expect(ids).toEqual(
      older.map(tag => seeded.find(image => image.tag === tag).id)
    );
    expect(
      ((await requests(request)).log as any[]).filter(
        entry => entry.route === 'delete_image'
      )
    ).toEqual([]);

    await clearRequests(request);
    await dialog(page)
      .getByRole('button', { name: 'Delete', exact: true })
      .click();
    await notified(
      page,
      'success',
      `Deleted the ModelArts registration of 8 image(s) of ${org}/lib-beta`
    );
    const log = (await requests(request)).log as any[];
    const deleted = log.filter(entry => entry.route === 'delete_image');
    expect(deleted.map(entry => entry.image_id).sort()).toEqual(
      [...ids].sort()
    );
    expect(deleted.every(entry => entry.force === null)).toBe(true);
    await expect(beta.locator('.jp-ModelArtsSnapshot-image')).toHaveCount(2);
    expect(
      await beta
        .locator('.jp-ModelArtsSnapshot-image')
        .evaluateAll(items => items.map(item => item.getAttribute('data-tag')))
    ).toEqual(['b10', 'b09']);
    // The other names are untouched.
    await expect(
      group(page, org, 'lib-alpha').locator('.jp-ModelArtsSnapshot-image')
    ).toHaveCount(10);
  });
});
