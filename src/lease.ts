import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { ApiError, ILeaseAPI, leaseAPI } from './api';
import { ServiceKernelFailed } from './transport';
import { ILease, ILeaseWarning } from './types';

/**
 * How often a page reads `GET lease`. The server answers from its own read of ModelArts
 * (`lease_refresh_seconds`), so pages never add upstream calls.
 */
export const LEASE_READ_MS = 60000;
/** How often the countdown moves on the page, with no request. */
const TICK_MS = 15000;

/**
 * The auto-stop as this page sees it: the lease the server last gave, counted down against
 * the server's clock, and the warning, given once per stop time.
 *
 * A page shows a warning when it was open as the warning time came, or when no page has shown
 * it yet; a page opened or reloaded after another showed it stays quiet (the panel and the
 * status bar still count down).
 */
export class LeaseModel implements IDisposable {
  constructor(options: LeaseModel.IOptions = {}) {
    this._api = options.api ?? leaseAPI;
    this._now = options.now ?? Date.now;
    this._openedAt = this._now();
    this._poll = new Poll({
      auto: options.autoStart ?? true,
      factory: () => this.refresh(),
      frequency: {
        interval: options.interval ?? LEASE_READ_MS,
        backoff: true,
        max: 10 * LEASE_READ_MS
      },
      name: 'modelarts-snapshot:lease',
      // A hidden tab must still warn when the stop nears.
      standby: 'never'
    });
    this._ticker = setInterval(() => this._tick(), options.tick ?? TICK_MS);
  }

  /** Emitted when the lease or the countdown changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted once per stop time, when this page should warn. */
  get warn(): ISignal<this, ILeaseWarning> {
    return this._warn;
  }

  /** The lease, or null when the server cannot tell (not ready, no service). */
  get lease(): ILease | null {
    return this._lease;
  }

  /** Seconds until the stop by the server's clock; null when there is no stop. */
  secondsLeft(): number | null {
    const stopAt = this._lease?.enabled ? this._lease.stop_at : null;
    if (!stopAt) {
      return null;
    }
    return (Date.parse(stopAt) - this._serverNow()) / 1000;
  }

  /** Whether the stop is within the warning time (the status bar shows the time left). */
  get nearStop(): boolean {
    const warnAt = this._lease?.warn_at;
    const left = this.secondsLeft();
    return (
      Boolean(warnAt) &&
      left !== null &&
      left > 0 &&
      this._serverNow() >= Date.parse(warnAt as string)
    );
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** Start reading the lease (once the server can save: before that it cannot tell). */
  start(): void {
    void this._poll.start();
  }

  /** Read the lease from the server now. */
  async refresh(): Promise<void> {
    const generation = this._generation;
    try {
      const lease = await this._api.lease();
      if (generation === this._generation) {
        this._set(lease); // else an extension answered meanwhile, and it is newer
      }
    } catch (error) {
      if (
        error instanceof ServiceKernelFailed ||
        (error instanceof ApiError && [404, 412].includes(error.status))
      ) {
        // No service, or it cannot save yet: no countdown until it can.
        this._lease = null;
        this._changed.emit();
        return;
      }
      throw error; // the poll backs off
    }
  }

  /** The instance stops `hours` from now (RenewLease); a refusal is thrown. */
  async extend(hours: number): Promise<ILease> {
    const lease = await this._api.extend(hours);
    this._generation += 1;
    this._set(lease);
    return lease;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    clearInterval(this._ticker);
    this._poll.dispose();
    Signal.clearData(this);
  }

  private _serverNow(): number {
    return this._now() + this._offset;
  }

  private _set(lease: ILease): void {
    this._lease = lease;
    this._offset = Date.parse(lease.server_time) - this._now();
    this._changed.emit();
    const warning = lease.warning;
    if (!warning || this._warned.has(warning.stop_at)) {
      return;
    }
    const openAtWarning =
      lease.warn_at !== null &&
      this._openedAt + this._offset <= Date.parse(lease.warn_at);
    if (warning.delivered && !openAtWarning) {
      return; // another page showed it before this one opened
    }
    this._warned.add(warning.stop_at);
    this._warn.emit(warning);
    void this._api.warningShown(warning.stop_at).catch(() => undefined);
  }

  private _tick(): void {
    const lease = this._lease;
    if (!lease?.enabled) {
      return;
    }
    this._changed.emit();
    // The warning time came since the last read: ask the server for its warning (once).
    const warnAt = lease.warn_at;
    if (
      warnAt &&
      !lease.warning &&
      this._serverNow() >= Date.parse(warnAt) &&
      this._askedAt !== warnAt
    ) {
      this._askedAt = warnAt;
      void this._poll.refresh();
    }
  }

  private _api: ILeaseAPI;
  private _now: () => number;
  private _openedAt: number;
  private _offset = 0;
  private _poll: Poll;
  private _ticker: ReturnType<typeof setInterval>;
  private _lease: ILease | null = null;
  private _askedAt: string | null = null;
  private _generation = 0;
  private _warned = new Set<string>();
  private _changed = new Signal<this, void>(this);
  private _warn = new Signal<this, ILeaseWarning>(this);
}

export namespace LeaseModel {
  export interface IOptions {
    api?: ILeaseAPI;
    /** Milliseconds between reads of `GET lease` (default a minute). */
    interval?: number;
    /** Milliseconds between countdown updates. */
    tick?: number;
    autoStart?: boolean;
    /** The clock (unit tests). */
    now?: () => number;
  }
}
