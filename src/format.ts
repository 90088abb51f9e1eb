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

/** Bytes for people: 980 KB, 3.2 GB. */
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
