import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { requestAPI, SnapshotAPIError } from './request';
import {
  IInstance,
  IJob,
  isFinished,
  ISaveError,
  ISaveRequest
} from './tokens';

/**
 * How the page currently reaches the Jupyter server.
 *
 * `paused` is expected: while ModelArts commits the container (`CREATING`) the server
 * inside it stops answering, then resumes. It is not an error.
 */
export type Connection = 'connecting' | 'online' | 'paused' | 'offline';

/** The server calls the model makes; the REST API in the product, a stand-in in unit tests. */
export interface ISnapshotAPI {
  instance(): Promise<IInstance>;
  images(): Promise<IJob[]>;
  save(request: ISaveRequest): Promise<IJob>;
}

/** A request that gets no answer within this time counts as the server not answering. */
const REQUEST_TIMEOUT_MS = 10000;

export const restAPI: ISnapshotAPI = {
  instance: () => requestAPI<IInstance>('instance', {}, REQUEST_TIMEOUT_MS),
  images: async () =>
    (await requestAPI<{ images: IJob[] }>('images', {}, REQUEST_TIMEOUT_MS))
      .images,
  save: request =>
    requestAPI<IJob>('images', {
      method: 'POST',
      body: JSON.stringify(request)
    })
};

/** Whether an error means the server did not answer, as opposed to answering with an error. */
export function isUnreachable(error: unknown): boolean {
  if (error instanceof ServerConnection.NetworkError) {
    return true;
  }
  if (error instanceof ServerConnection.ResponseError) {
    // Status polls never get these from the extension itself: they come from the
    // proxies in front of a paused instance.
    return [0, 502, 503, 504].includes(error.response.status);
  }
  return error instanceof DOMException && error.name === 'AbortError';
}

/**
 * The state of this instance's saves, kept up to date by polling the local server.
 */
export class SnapshotModel implements IDisposable {
  constructor(options: SnapshotModel.IOptions) {
    this._api = options.api ?? restAPI;
    this._poll = new Poll({
      auto: options.autoStart ?? true,
      factory: () => this.refresh(),
      frequency: {
        interval: options.interval,
        backoff: true,
        max: Math.max(options.interval * 3, 15000)
      },
      name: 'modelarts-snapshot:status',
      standby: 'when-hidden'
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted once for each save seen going from unfinished to finished. */
  get finished(): ISignal<this, IJob> {
    return this._finished;
  }

  get jobs(): readonly IJob[] {
    return this._jobs;
  }

  get instance(): IInstance | null {
    return this._instance;
  }

  get connection(): Connection {
    return this._connection;
  }

  /** Why the last save did not start, until the next one does. */
  get saveError(): ISaveError | null {
    return this._saveError;
  }

  /** The unfinished save, if any. */
  get current(): IJob | null {
    return this._jobs.find(job => !isFinished(job)) ?? null;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  set interval(interval: number) {
    this._poll.frequency = {
      ...this._poll.frequency,
      interval,
      max: Math.max(interval * 3, 15000)
    };
  }

  /** One poll: read the records the server keeps (it alone asks ModelArts). */
  async refresh(): Promise<void> {
    try {
      if (!this._instance?.ready || this._connection !== 'online') {
        this._instance = await this._api.instance();
      }
      this._setJobs(await this._api.images());
      this._setConnection('online');
    } catch (error) {
      if (!isUnreachable(error)) {
        this._setConnection('online');
        throw error;
      }
      // The server is not answering. During a save that is the pause, not a failure.
      const saving = this.current !== null;
      this._setConnection(saving ? 'paused' : 'offline');
      throw error; // let the poll back off
    }
  }

  /** Start a save; the new job appears at once. */
  async save(request: ISaveRequest): Promise<IJob> {
    let job: IJob;
    try {
      job = await this._api.save(request);
    } catch (error) {
      this._saveError = {
        message: error instanceof Error ? error.message : String(error),
        requestId: error instanceof SnapshotAPIError ? error.requestId : null
      };
      this._changed.emit();
      throw error;
    }
    this._saveError = null;
    this._setJobs([job, ...this._jobs.filter(item => item.id !== job.id)]);
    void this._poll.refresh();
    return job;
  }

  /** Poll now, e.g. when the panel is shown. */
  poke(): void {
    void this._poll.refresh();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    Signal.clearData(this);
  }

  private _setJobs(jobs: IJob[]): void {
    const before = new Map(this._jobs.map(job => [job.id, job]));
    this._jobs = jobs;
    for (const job of jobs) {
      const previous = before.get(job.id);
      if (previous && !isFinished(previous) && isFinished(job)) {
        this._finished.emit(job);
      }
    }
    this._changed.emit();
  }

  private _setConnection(connection: Connection): void {
    if (this._connection !== connection) {
      this._connection = connection;
      this._changed.emit();
    }
  }

  private _api: ISnapshotAPI;
  private _poll: Poll;
  private _jobs: IJob[] = [];
  private _instance: IInstance | null = null;
  private _saveError: ISaveError | null = null;
  private _connection: Connection = 'connecting';
  private _changed = new Signal<this, void>(this);
  private _finished = new Signal<this, IJob>(this);
}

export namespace SnapshotModel {
  export interface IOptions {
    /** Milliseconds between polls. */
    interval: number;
    api?: ISnapshotAPI;
    autoStart?: boolean;
  }
}
