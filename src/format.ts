/**
 * Words and numbers for people: statuses, sizes and durations.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { FAILED_STATUSES, IJob } from './tokens';

export function statusWords(status: string, trans: TranslationBundle): string {
  if (FAILED_STATUSES.includes(status)) {
    return trans.__('Failed');
  }
  switch (status) {
    case 'INIT':
      return trans.__('Preparing');
    case 'CREATING':
      return trans.__('Saving');
    case 'ACTIVE':
      return trans.__('Saved');
    case 'DELETED':
      return trans.__('Deleted');
    default:
      return status;
  }
}

/** CSS modifier for the status colour. */
export function statusKind(status: string): string {
  if (status === 'ACTIVE') {
    return 'success';
  }
  if (FAILED_STATUSES.includes(status)) {
    return 'error';
  }
  if (status === 'DELETED') {
    return 'muted';
  }
  return 'progress';
}

/** ModelArts reports sizes in KB. */
export function humanSize(sizeKb: number | null): string {
  if (!sizeKb || sizeKb <= 0) {
    return '';
  }
  const units = ['KB', 'MB', 'GB', 'TB'];
  let size = sizeKb;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit++;
  }
  return `${size.toFixed(size < 10 && unit > 0 ? 1 : 0)} ${units[unit]}`;
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
