import { nullTranslator } from '@jupyterlab/translation';

import {
  elapsedSeconds,
  humanBytes,
  humanDuration,
  humanSize,
  statusKind,
  statusWords
} from '../format';
import { IJob } from '../types';
import { STATUSES } from '../generated/vocabulary';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const bytes = require('../../tests/byte-cases.json');

const trans = nullTranslator.load('jupyterlab_modelarts_snapshot');

describe('format', () => {
  it('gives ModelArts sizes (KB) in human units', () => {
    expect(humanSize(null)).toBe('');
    expect(humanSize(512)).toBe('512 KB');
    expect(humanSize(3481600)).toBe('3.3 GB');
    expect(humanSize(20 * 1024 * 1024)).toBe('20 GB');
  });

  it('gives durations in words', () => {
    expect(humanDuration(7, trans)).toBe('7 s');
    expect(humanDuration(125, trans)).toBe('2 min 5 s');
    expect(humanDuration(3 * 3600 + 60, trans)).toBe('3 h 1 min');
  });

  it('measures a save from its start to its end, or to now', () => {
    const job = {
      created_at: '2026-11-27T08:00:00Z',
      finished_at: '2026-11-27T08:02:30Z'
    } as IJob;
    expect(elapsedSeconds(job)).toBe(150);
    expect(
      elapsedSeconds(
        { ...job, finished_at: null },
        Date.parse('2026-11-27T08:00:10Z')
      )
    ).toBe(10);
  });

  it('says every ModelArts status in words and colour', () => {
    expect(statusWords('CREATING', trans)).toBe('Saving');
    expect(statusWords('CREATE_FAILED', trans)).toBe('Failed');
    expect(statusKind('ACTIVE')).toBe('success');
    expect(statusKind('ERROR')).toBe('error');
    expect(statusKind('INIT')).toBe('progress');
    expect(statusKind('DELETED')).toBe('muted');
  });

  it('has words of its own for each status of openapi.json', () => {
    const words = STATUSES.map(status => statusWords(status, trans));
    expect(words).toEqual([
      'Preparing',
      'Saving',
      'Saved',
      'Failed',
      'Failed',
      'Deleted'
    ]);
  });
});

describe('humanBytes', () => {
  // The table sizes.human_bytes runs on the server side: both print the same figures.
  it.each(bytes.cases as [number, string][])('%d bytes is %s', (size, text) => {
    expect(humanBytes(size)).toBe(text);
  });
});
