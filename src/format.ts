/**
 * Words and numbers for people: statuses, check levels, sizes, durations, and the messages
 * more than one view gives.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import type { ServiceKernelFailed } from './transport';
import { IJob, ILease, IStopAfterSave } from './types';
import { CheckLevel, FAILED, Status } from './generated/vocabulary';

/** Each status in words. A status openapi.json adds is a type error here until it has words. */
export function statusWords(status: Status, trans: TranslationBundle): string {
  switch (status) {
    case 'INIT':
      return trans.__('Preparing');
    case 'CREATING':
      return trans.__('Saving');
    case 'ACTIVE':
      return trans.__('Saved');
    case 'CREATE_FAILED':
    case 'ERROR':
      return trans.__('Failed');
    case 'DELETED':
      return trans.__('Deleted');
    default: {
      // A newer server's status: say it as it is.
      const unknown: never = status;
      return unknown;
    }
  }
}

/** CSS modifier for the status colour. */
export function statusKind(status: Status): string {
  if (status === 'ACTIVE') {
    return 'success';
  }
  if (FAILED.includes(status)) {
    return 'error';
  }
  if (status === 'DELETED') {
    return 'muted';
  }
  return 'progress';
}

/** Each level of a pre-flight check in words (jest holds its keys to openapi's `Check.level`). */
export const LEVEL_WORDS: Record<
  CheckLevel,
  (trans: TranslationBundle) => string
> = {
  ok: trans => trans.__('OK'),
  info: trans => trans.__('Note'),
  warn: trans => trans.__('Warning'),
  block: trans => trans.__('Blocks the save')
};

export function levelWords(
  level: CheckLevel,
  trans: TranslationBundle
): string {
  return (LEVEL_WORDS[level] ?? LEVEL_WORDS.ok)(trans);
}

/** Bytes for people: 980 KB, 3.2 GB (the same as the server's sizes.human_bytes). */
export function humanBytes(size: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit > 0 && value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** ModelArts reports sizes in KB. */
export function humanSize(sizeKb: number | null): string {
  return sizeKb && sizeKb > 0 ? humanBytes(sizeKb * 1024) : '';
}

export function elapsedSeconds(job: IJob, now: number = Date.now()): number {
  const start = Date.parse(job.created_at);
  const end = job.finished_at ? Date.parse(job.finished_at) : now;
  return Math.max(0, Math.round((end - start) / 1000));
}

export function humanDuration(
  seconds: number,
  trans: TranslationBundle
): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) {
    return trans.__('%1 h %2 min', h, m);
  }
  return m > 0 ? trans.__('%1 min %2 s', m, s) : trans.__('%1 s', s);
}

/**
 * What to say when the page has this front end but can reach no service: the server has no
 * server extension, and there is no service kernel to stand in for it.
 */
export function serverMissingMessage(trans: TranslationBundle): string {
  return trans.__(
    'The ModelArts snapshot server extension is not loaded, and the service kernel that stands in for it is not installed, so images cannot be saved or listed from this page. In a terminal, run `jupyter modelarts-snapshot install`, then reload this page; `jupyter modelarts-snapshot doctor` says what it finds. Outside ModelArts, check `jupyter server extension list` and the Jupyter server log.'
  );
}

/** What to say when the service kernel did not start: its own error, and where to look. */
export function kernelFailedMessage(
  trans: TranslationBundle,
  detail: string
): string {
  return trans.__(
    'The ModelArts snapshot service kernel could not start: %1. The Jupyter server log has its output; `jupyter modelarts-snapshot doctor` in a terminal starts it and shows why.',
    detail
  );
}

/** Why the page reaches no service: no service kernel to start, or one that did not start (a
 * refusal of the kernel's own is a whole message in the page's language already). */
export function unavailableMessage(
  trans: TranslationBundle,
  kernelError: ServiceKernelFailed | null
): string {
  if (!kernelError) {
    return serverMissingMessage(trans);
  }
  return kernelError.fromKernel
    ? kernelError.detail
    : kernelFailedMessage(trans, kernelError.detail);
}

/** The quiet line that says which way the page reaches the service. */
export function transportText(
  kind: 'rest' | 'kernel',
  trans: TranslationBundle
): string {
  return kind === 'rest'
    ? trans.__('Connected through the server extension.')
    : trans.__(
        'Connected through the service kernel: the server extension loads at the next start of the instance.'
      );
}

/** ModelArts' request ID for a failed call, in the words Huawei support expects. */
export function requestIdText(trans: TranslationBundle, id: string): string {
  return trans.__('ModelArts request ID (for Huawei support): %1', id);
}

/** A time of the API (ISO, UTC) as the page's local time of day, to the minute. */
export function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit'
  });
}

/** Time left before the stop, to the minute ("2 h 10 min", "14 min"). */
export function timeLeft(seconds: number, trans: TranslationBundle): string {
  const minutes = Math.max(0, Math.floor(seconds / 60));
  return minutes >= 60
    ? trans.__('%1 h %2 min', Math.floor(minutes / 60), minutes % 60)
    : trans.__('%1 min', minutes);
}

/** "Stops at 18:30, in 2 h 10 min", and whether that is an estimate. */
export function stopText(
  lease: ILease,
  secondsLeft: number,
  trans: TranslationBundle
): string {
  const at = clockTime(lease.stop_at ?? '');
  const text =
    secondsLeft > 0
      ? trans.__('Stops at %1, in %2', at, timeLeft(secondsLeft, trans))
      : trans.__('The stop time (%1) has passed.', at);
  return lease.estimate ? `${text} ${trans.__('(estimated)')}` : text;
}

/** What a save's request to stop the instance came to, for its row in the panel. */
export function stopAfterSaveText(
  stop: IStopAfterSave,
  trans: TranslationBundle
): string {
  switch (stop.state) {
    case 'pending':
      return trans.__('The instance stops once this image is saved.');
    case 'stopping':
      return trans.__(
        'The stop was sent at %1 after saving; waiting for ModelArts to confirm it.',
        stop.at ? clockTime(stop.at) : ''
      );
    case 'stopped':
      return trans.__(
        'Stopped after saving, at %1.',
        stop.at ? clockTime(stop.at) : ''
      );
    default:
      return trans.__('Not stopped: %1', stop.reason ?? '');
  }
}
