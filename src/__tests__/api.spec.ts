/**
 * The REST calls against a small HTTP server: each goes to its path of openapi.json, in the
 * page's language, and an error answer arrives as a thrown ApiError with what its body says.
 */
import * as http from 'http';
import { AddressInfo } from 'net';

import { PageConfig } from '@jupyterlab/coreutils';

import {
  ApiError,
  cleanCaches,
  deleteImage,
  getJob,
  getLibrary,
  getManifestNow,
  getPreflight,
  getReadiness,
  listJobs,
  getRebuildFile,
  pruneImages,
  ServerExtensionMissing,
  setPageLanguage,
  startPreflight,
  startSave
} from '../api';

interface IAsked {
  method: string;
  path: string;
  language: string;
  body: string;
}

let server: http.Server;
let asked: IAsked[] = [];
/** The next answer: status and body text. */
let answer: { status: number; body: string } = { status: 200, body: '{}' };

beforeAll(async () => {
  server = http.createServer((request, response) => {
    let body = '';
    request.on('data', chunk => (body += chunk));
    request.on('end', () => {
      // ServerConnection adds a cache buster as the last query parameter.
      const path = (request.url ?? '').replace(/[?&]\d+$/, '');
      asked.push({
        method: request.method ?? '',
        path,
        language: String(request.headers['accept-language']),
        body
      });
      response.writeHead(answer.status, {
        'Content-Type': answer.body.startsWith('<')
          ? 'text/html'
          : 'application/json'
      });
      response.end(answer.body);
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  PageConfig.setOption('baseUrl', `http://127.0.0.1:${port}/`);
});

afterAll(async () => {
  await new Promise(resolve => server.close(resolve));
});

beforeEach(() => {
  asked = [];
  answer = { status: 200, body: '{}' };
  setPageLanguage('en');
});

describe('the REST calls', () => {
  it('go to the paths of openapi.json', async () => {
    await getReadiness();
    await listJobs(50);
    await getJob('a b');
    await startSave({ name: 'env', namespace: 'team' });
    await startPreflight({ name: 'env', namespace: 'team', tag: 'v1' });
    await startPreflight();
    await getPreflight();
    await cleanCaches(['/home/ma-user/.cache/pip']);
    await getManifestNow();
    await getRebuildFile('a b', 'Dockerfile');
    expect(asked.map(item => `${item.method} ${item.path}`)).toEqual([
      'GET /modelarts-snapshot/readiness',
      'GET /modelarts-snapshot/jobs?limit=50',
      'GET /modelarts-snapshot/jobs/a%20b',
      'POST /modelarts-snapshot/jobs',
      'POST /modelarts-snapshot/preflight',
      'POST /modelarts-snapshot/preflight',
      'GET /modelarts-snapshot/preflight',
      'POST /modelarts-snapshot/preflight/cleanup',
      'GET /modelarts-snapshot/manifest/now',
      'GET /modelarts-snapshot/jobs/a%20b/rebuild/Dockerfile'
    ]);
    expect(JSON.parse(asked[3].body)).toEqual({
      name: 'env',
      namespace: 'team'
    });
    expect(JSON.parse(asked[4].body)).toEqual({
      name: 'env',
      namespace: 'team',
      tag: 'v1'
    });
    expect(asked[5].body).toBe('');
    expect(JSON.parse(asked[7].body)).toEqual({
      paths: ['/home/ma-user/.cache/pip']
    });
  });

  it('give a rebuild file as its text', async () => {
    answer = { status: 200, body: 'FROM base\nRUN true\n' };
    expect(await getRebuildFile('a', 'Dockerfile')).toBe(
      'FROM base\nRUN true\n'
    );
  });

  it("ask in the page's language", async () => {
    setPageLanguage('zh-CN');
    await getReadiness();
    expect(asked[0].language).toBe('zh-CN');
  });

  it('throw an error answer as an ApiError with what its body says', async () => {
    const job = { id: 'a1', status: 'CREATING' };
    answer = {
      status: 409,
      body: JSON.stringify({
        message: 'A save is unfinished.',
        job,
        check: 'tag',
        field: 'tag'
      })
    };
    const refusal = await startSave({ name: 'env', namespace: 'team' }).catch(
      error => error
    );
    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusal).toMatchObject({
      message: 'A save is unfinished.',
      status: 409,
      job,
      check: 'tag',
      field: 'tag',
      requestId: null
    });

    answer = {
      status: 502,
      body: JSON.stringify({
        message: 'ModelArts refused the save.',
        upstream_status: 409,
        error_code: 'ModelArts.6501',
        error_msg: 'Conflict',
        request_id: '0a1b2c3d4e5f60718293a4b5c6d7e8f9'
      })
    };
    const upstream = await startSave({ name: 'env', namespace: 'team' }).catch(
      error => error
    );
    expect(upstream).toBeInstanceOf(ApiError);
    expect(upstream).toMatchObject({
      status: 502,
      requestId: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
      job: null,
      field: null
    });
  });

  it('list, delete and prune saved images on the paths of openapi.json', async () => {
    await getLibrary({});
    await getLibrary({
      namespace: 'team a',
      limit: 10,
      offset: 20,
      refresh: 'true'
    });
    await deleteImage({ id: 'i1', namespace: 'team', with_swr_content: true });
    await pruneImages({
      name: 'env',
      namespace: 'team',
      keep: 2,
      dry_run: false,
      ids: ['i2']
    });
    expect(asked.map(item => `${item.method} ${item.path}`)).toEqual([
      'GET /modelarts-snapshot/library',
      'GET /modelarts-snapshot/library?namespace=team+a&limit=10&offset=20&refresh=true',
      'POST /modelarts-snapshot/library/delete',
      'POST /modelarts-snapshot/library/prune'
    ]);
    expect(JSON.parse(asked[2].body)).toEqual({
      id: 'i1',
      namespace: 'team',
      with_swr_content: true
    });
    expect(JSON.parse(asked[3].body)).toEqual({
      name: 'env',
      namespace: 'team',
      keep: 2,
      dry_run: false,
      ids: ['i2']
    });
  });

  it("give a refused delete's reason", async () => {
    answer = {
      status: 409,
      body: JSON.stringify({
        message: 'team/env:v1 is the image this instance runs.',
        reason: 'runs-now',
        id: 'i1'
      })
    };
    const refusal = await deleteImage({ id: 'i1', namespace: 'team' }).catch(
      error => error
    );
    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusal).toMatchObject({
      status: 409,
      reason: 'runs-now',
      message: 'team/env:v1 is the image this instance runs.'
    });
  });

  it("throw ServerExtensionMissing for the Jupyter server's own 404 page", async () => {
    answer = { status: 404, body: '<html>404: Not Found</html>' };
    await expect(getReadiness()).rejects.toBeInstanceOf(ServerExtensionMissing);
  });
});
