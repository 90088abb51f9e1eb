/**
 * The jobs model and its reconnect logic, against a scripted server.
 */
import { ServerConnection } from '@jupyterlab/services';

import { ApiError, IJobsAPI, ServerExtensionMissing } from '../api';
import { JobsModel } from '../model';
import { IJob, IJobPage, IReadiness, ISaveRequest } from '../types';
import { Status } from '../generated/vocabulary';

const READY: IReadiness = {
  notebook_id: '6b0f3c5e-1d2a-4c8b-9e7f-0a1b2c3d4e5f',
  notebook_id_source: 'env:MODELARTS_NOTEBOOK_ID',
  project_id: 'p',
  project_id_source: 'env:PROJECT_ID',
  region: 'cn-north-4',
  endpoint: 'http://127.0.0.1:8090',
  credentials: 'env',
  user_id: null,
  ready: true,
  problems: []
};

function job(status: Status, id = 'a1'): IJob {
  return {
    id,
    name: 'env',
    namespace: 'team',
    tag: 'v1',
    description: '',
    status,
    status_message: status === 'CREATE_FAILED' ? 'too big' : '',
    swr_path:
      status === 'ACTIVE'
        ? 'swr.cn-north-4.myhuaweicloud.com/team/env:v1'
        : null,
    size_kb: null,
    created_at: '2026-11-27T08:00:00Z',
    updated_at: '2026-11-27T08:00:00Z',
    finished_at: status === 'ACTIVE' ? '2026-11-27T08:01:00Z' : null,
    notebook_id: READY.notebook_id!,
    last_error: null,
    changes_summary: null,
    stop: null
  };
}

/** A server whose answers the test scripts; `down` makes it stop answering like a paused instance. */
class ScriptedServer implements IJobsAPI {
  saved: IJob[] = [];
  down = false;
  failWith: Error | null = null;
  calls = 0;
  asked: string[] = [];

  async readiness(): Promise<IReadiness> {
    this.check('readiness');
    return READY;
  }

  async jobs(limit: number): Promise<IJobPage> {
    this.check('jobs');
    return {
      jobs: this.saved.slice(0, limit),
      total: this.saved.length,
      limit,
      offset: 0
    };
  }

  async job(id: string): Promise<IJob> {
    this.check(`job ${id}`);
    const found = this.saved.find(item => item.id === id);
    if (!found) {
      throw new Error(`no job ${id}`);
    }
    return found;
  }

  async save(request: ISaveRequest): Promise<IJob> {
    this.check('save');
    const created = { ...job('INIT', 'new'), ...request } as IJob;
    this.saved = [created, ...this.saved];
    return created;
  }

  private check(what: string): void {
    this.calls++;
    this.asked.push(what);
    if (this.down) {
      throw new ServerConnection.NetworkError(new TypeError('Failed to fetch'));
    }
    if (this.failWith) {
      throw this.failWith;
    }
  }
}

function newModel(server: ScriptedServer, autoStart = false): JobsModel {
  // A short idle interval: a poll disposed mid-tick may still leave its next timer behind.
  return new JobsModel({
    interval: 20,
    idleInterval: 500,
    api: server,
    autoStart
  });
}

async function until(predicate: () => boolean, timeout = 3000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeout) {
      throw new Error('condition not met in time');
    }
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}

describe('JobsModel', () => {
  it('loads the readiness and the saves', async () => {
    const server = new ScriptedServer();
    server.saved = [job('ACTIVE')];
    const model = newModel(server);
    await model.refresh();
    expect(model.connection).toBe('online');
    expect(model.readiness).toEqual(READY);
    expect(model.jobs).toHaveLength(1);
    expect(model.current).toBeNull();
    model.dispose();
  });

  it('announces a save once, when it finishes, and not saves finished before', async () => {
    const server = new ScriptedServer();
    server.saved = [job('ACTIVE', 'old'), job('CREATING')];
    const model = newModel(server);
    const finished: IJob[] = [];
    model.finished.connect((_, item) => finished.push(item));
    await model.refresh();
    expect(model.current?.id).toBe('a1');
    server.saved = [job('ACTIVE', 'old'), job('CREATE_FAILED')];
    await model.refresh();
    await model.refresh();
    expect(finished.map(item => [item.id, item.status])).toEqual([
      ['a1', 'CREATE_FAILED']
    ]);
    expect(model.current).toBeNull();
    model.dispose();
  });

  it('shows the pause during a save, keeps its state and resumes by itself', async () => {
    const server = new ScriptedServer();
    server.saved = [job('CREATING')];
    const model = newModel(server, true);
    await until(() => model.connection === 'online');
    const finished: IJob[] = [];
    model.finished.connect((_, item) => finished.push(item));

    server.down = true;
    await until(() => model.connection === 'paused');
    expect(model.current?.status).toBe('CREATING'); // nothing lost while paused
    const callsWhilePaused = server.calls;
    await until(() => server.calls > callsWhilePaused + 1); // it keeps trying

    server.saved = [job('ACTIVE')];
    server.down = false;
    await until(() => model.connection === 'online');
    await until(() => finished.length === 1);
    expect(finished[0].status).toBe('ACTIVE');
    expect(model.current).toBeNull();
    model.dispose();
  });

  it('calls it offline, not paused, when no save is running', async () => {
    const server = new ScriptedServer();
    const model = newModel(server);
    await model.refresh();
    server.down = true;
    await expect(model.refresh()).rejects.toBeInstanceOf(
      ServerConnection.NetworkError
    );
    expect(model.connection).toBe('offline');
    model.dispose();
  });

  it('treats an error answer as an answer: the server is there', async () => {
    const server = new ScriptedServer();
    server.saved = [job('CREATING')];
    const model = newModel(server);
    await model.refresh();
    server.failWith = new ServerConnection.ResponseError(
      new Response('{"message": "boom"}', { status: 500 }),
      'boom'
    );
    await expect(model.refresh()).rejects.toThrow('boom');
    expect(model.connection).toBe('online');
    model.dispose();
  });

  it('a paused proxy answer (504) counts as the pause', async () => {
    const server = new ScriptedServer();
    server.saved = [job('INIT')];
    const model = newModel(server);
    await model.refresh();
    server.failWith = new ServerConnection.ResponseError(
      new Response('', { status: 504 })
    );
    await expect(model.refresh()).rejects.toBeDefined();
    expect(model.connection).toBe('paused');
    model.dispose();
  });

  it('shows a new save at once', async () => {
    const server = new ScriptedServer();
    const model = newModel(server);
    await model.refresh();
    const created = await model.save({ name: 'env', namespace: 'team' });
    expect(model.current?.id).toBe(created.id);
    model.dispose();
  });

  it('keeps why a save did not start, with the request ID, until one starts', async () => {
    const server = new ScriptedServer();
    const model = newModel(server);
    await model.refresh();
    server.failWith = new ApiError(
      new Response('{}', { status: 502 }),
      'ModelArts refused the save: Conflict tag v1 for image env',
      {
        message: 'ModelArts refused the save: Conflict tag v1 for image env',
        request_id: '0a1b2c3d4e5f60718293a4b5c6d7e8f9'
      }
    );
    await expect(
      model.save({ name: 'env', namespace: 'team' })
    ).rejects.toThrow('Conflict tag');
    expect(model.saveError).toEqual({
      message: 'ModelArts refused the save: Conflict tag v1 for image env',
      requestId: '0a1b2c3d4e5f60718293a4b5c6d7e8f9'
    });
    server.failWith = null;
    await model.save({ name: 'env', namespace: 'team', tag: 'v2' });
    expect(model.saveError).toBeNull();
    model.dispose();
  });

  it('asks only about the unfinished save while it runs, then reads the list once', async () => {
    const server = new ScriptedServer();
    server.saved = [job('CREATING'), job('ACTIVE', 'old')];
    const model = newModel(server);
    await model.refresh();
    server.asked = [];
    await model.refresh();
    await model.refresh();
    expect(server.asked).toEqual(['job a1', 'job a1']);
    server.saved = [job('ACTIVE'), job('ACTIVE', 'old')];
    await model.refresh();
    expect(server.asked.slice(2)).toEqual(['job a1', 'jobs']);
    expect(model.current).toBeNull();
    model.dispose();
  });

  it('polls every interval during a save and slowly when idle', async () => {
    const server = new ScriptedServer();
    server.saved = [job('CREATING')];
    const model = new JobsModel({
      interval: 20,
      idleInterval: 2000, // stands for the minute: a hundred times the interval
      api: server
    });
    await until(() => server.asked.filter(x => x === 'job a1').length >= 5);
    server.saved = [job('ACTIVE')];
    await until(() => model.current === null);
    const settled = server.calls;
    await new Promise(resolve => setTimeout(resolve, 300));
    expect(server.calls).toBe(settled); // idle: nothing more until the idle interval
    model.poke(); // the panel opens
    await until(() => server.calls > settled);
    expect(server.asked[server.asked.length - 1]).toBe('jobs');
    model.dispose();
  });

  it('says when the server extension is missing, without throwing', async () => {
    const server = new ScriptedServer();
    server.failWith = new ServerExtensionMissing(
      new Response('<html>404</html>', { status: 404 }),
      'The ModelArts snapshot server extension is not loaded.'
    );
    const model = newModel(server);
    await model.refresh();
    expect(model.serverMissing).toBe(true);
    expect(model.connection).toBe('online');
    server.failWith = null;
    await model.refresh();
    expect(model.serverMissing).toBe(false);
    model.dispose();
  });
});
