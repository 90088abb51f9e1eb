import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { ApiError, IJobsAPI, jobsAPI, ServerExtensionMissing } from './api';
import { ServiceKernelFailed } from './transport';
import { IJob, IReadiness, ISaveRequest } from './types';
import { FINISHED } from './generated/vocabulary';

/**
 * How the page currently reaches the Jupyter server.
 *
 * `paused` is expected: while ModelArts commits the container (`CREATING`) the server
 * inside it stops answering, then resumes. It is not an error.
 */
export type Connection = 'connecting' | 'online' | 'paused' | 'offline';

/** A save that did not start: the message, and ModelArts' request ID when it answered. */
export interface ISaveError {
  message: string;
  requestId: string | null;
}

/** While no save is unfinished the page asks about once a minute, to see saves started elsewhere. */
export const IDLE_INTERVAL_MS = 60000;
/** How many of the newest saves the panel lists. */
export const LIST_LIMIT = 50;

/** Whether a job has ended (`x-finished` in openapi.json). */
export function isFinished(job: IJob): boolean {
  return FINISHED.includes(job.status);
}

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
 *
 * While a save is unfinished the page asks about that save alone, every `interval`; otherwise
 * it reads the list about once a minute, and at once when the panel opens or a save starts.
 */
export class JobsModel implements IDisposable {
  constructor(options: JobsModel.IOptions) {
    this._api = options.api ?? jobsAPI;
    this._interval = options.interval;
    this._idleInterval = options.idleInterval ?? IDLE_INTERVAL_MS;
    this._poll = new Poll({
      auto: options.autoStart ?? true,
      factory: () => this.refresh(),
      frequency: this._frequency(),
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

  /** The newest saves, newest first. */
  get jobs(): readonly IJob[] {
    return this._jobs;
  }

  /** How many saves this instance has in all. */
  get total(): number {
    return this._total;
  }

  /** Whether the server can save, as it last said. */
  get readiness(): IReadiness | null {
    return this._readiness;
  }

  get connection(): Connection {
    return this._connection;
  }

  /**
   * True when the page cannot reach the service: the server has no server extension and
   * there is no service kernel, or the service kernel did not start (`kernelError`).
   */
  get serverMissing(): boolean {
    return this._serverMissing || this._kernelError !== null;
  }

  /** Why the service kernel did not start, in its own words. */
  get kernelError(): ServiceKernelFailed | null {
    return this._kernelError;
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

  /** Milliseconds between polls while a save is unfinished. */
  set interval(interval: number) {
    this._interval = interval;
    this._poll.frequency = this._frequency();
  }

  /** One poll: read what the server records (it alone asks ModelArts). */
  async refresh(): Promise<void> {
    try {
      if (!this._readiness?.ready || this._connection !== 'online') {
        this._readiness = await this._api.readiness();
      }
      this._serverMissing = false;
      this._kernelError = null;
      const current = this.current;
      if (current && !this._listWanted) {
        const job = await this._api.job(current.id);
        this._setJobs(
          this._jobs.map(item => (item.id === job.id ? job : item))
        );
        // The list changed: a save ended.
        this._listWanted = isFinished(job);
      } else {
        this._listWanted = true;
      }
      if (this._listWanted) {
        const page = await this._api.jobs(LIST_LIMIT);
        this._total = page.total;
        this._listWanted = false;
        this._setJobs(page.jobs);
      }
      this._setConnection('online');
    } catch (error) {
      if (error instanceof ServerExtensionMissing) {
        this._serverMissing = true;
        this._setConnection('online');
        this._changed.emit();
        return; // nothing to retry quickly: the package needs its install
      }
      if (error instanceof ServiceKernelFailed) {
        this._kernelError = error;
        this._setConnection('online');
        this._changed.emit();
        return;
      }
      if (!isUnreachable(error)) {
        this._setConnection('online');
        throw error;
      }
      // The server is not answering. During a save that is the pause, not a failure.
      const saving = this.current !== null;
      this._setConnection(saving ? 'paused' : 'offline');
      throw error; // let the poll back off
    } finally {
      this._poll.frequency = this._frequency();
    }
  }

  /**
   * Start a save; the new job appears at once. A refusal is thrown (an `ApiError` when the
   * server answered), and kept as `saveError` for the panel until a save starts.
   */
  async save(request: ISaveRequest): Promise<IJob> {
    let job: IJob;
    try {
      job = await this._api.save(request);
    } catch (error) {
      this._saveError = {
        message: error instanceof Error ? error.message : String(error),
        requestId: error instanceof ApiError ? error.requestId : null
      };
      this._changed.emit();
      throw error;
    }
    this._saveError = null;
    this._total += 1;
    this._setJobs([job, ...this._jobs.filter(item => item.id !== job.id)]);
    this._poll.frequency = this._frequency();
    void this._poll.refresh();
    return job;
  }

  /** Read the list now, e.g. when the panel is shown. */
  poke(): void {
    this._listWanted = true;
    void this._poll.refresh();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    Signal.clearData(this);
  }

  private _frequency(): IPoll.Frequency {
    const interval = this.current ? this._interval : this._idleInterval;
    return { interval, backoff: true, max: Math.max(interval * 3, 15000) };
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

  private _api: IJobsAPI;
  private _poll: Poll;
  private _interval: number;
  private _idleInterval: number;
  private _jobs: IJob[] = [];
  private _total = 0;
  private _listWanted = true;
  private _readiness: IReadiness | null = null;
  private _serverMissing = false;
  private _kernelError: ServiceKernelFailed | null = null;
  private _saveError: ISaveError | null = null;
  private _connection: Connection = 'connecting';
  private _changed = new Signal<this, void>(this);
  private _finished = new Signal<this, IJob>(this);
}

export namespace JobsModel {
  export interface IOptions {
    /** Milliseconds between polls while a save is unfinished. */
    interval: number;
    /** Milliseconds between polls otherwise (default about a minute). */
    idleInterval?: number;
    api?: IJobsAPI;
    autoStart?: boolean;
  }
}
