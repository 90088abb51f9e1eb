/**
 * @jest-environment jsdom
 *
 * The pre-flight view decides whether the dialog may save: not while the walk runs, never on a
 * block, and only after "Save anyway" on a warning. The server's answers come from a stand-in
 * of the REST API.
 */
import './dom-shims';
import { nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { IPreflightAPI } from '../api';
import { PreflightView } from '../preflight';
import { ICheck, IPreflightReport } from '../types';

const trans = nullTranslator.load('jupyterlab');

function report(state: string, checks: ICheck[]): IPreflightReport {
  return {
    state: state as IPreflightReport['state'],
    started_at: '2026-11-28T12:00:00Z',
    finished_at: state === 'running' ? null : '2026-11-28T12:00:05Z',
    partial: false,
    message: null,
    progress: { files: 3, bytes: 4096 },
    estimate:
      state === 'running'
        ? null
        : { bytes: 4096, files: 3, limit_bytes: 35 * 1024 ** 3 },
    largest: [],
    checks
  };
}

function check(id: string, level: string): ICheck {
  return {
    id: id as ICheck['id'],
    level: level as ICheck['level'],
    message: `${id} is ${level}`,
    items: []
  };
}

function view(answers: IPreflightReport[]): PreflightView {
  return viewOf({
    start: async () => answers[0],
    latest: async () => answers[Math.min(1, answers.length - 1)],
    cleanup: async () => ({ cleaned: [], freed_bytes: 0 })
  });
}

function viewOf(api: IPreflightAPI): PreflightView {
  const widget = new PreflightView({
    trans,
    api,
    unsaved: () => [],
    saveAll: async () => undefined,
    onUseTag: () => undefined
  });
  Widget.attach(widget, document.body);
  return widget;
}

/** What JupyterLab's dialog looks at before it lets Save go. */
function savable(widget: PreflightView): boolean {
  return (
    !widget.node.querySelector(':invalid') &&
    !widget.node.querySelector('.jp-mod-error')
  );
}

describe('PreflightView', () => {
  it('keeps Save disabled while the walk runs', async () => {
    const widget = view([report('running', [check('instance', 'ok')])]);
    await widget.start();
    expect(savable(widget)).toBe(false);
    expect(widget.node.textContent).toContain('3 changed files');
    widget.dispose();
  });

  it('lets a report with only ok and info checks save', async () => {
    const widget = view([
      report('done', [check('instance', 'ok'), check('caches', 'info')])
    ]);
    await widget.start();
    expect(savable(widget)).toBe(true);
    expect(widget.node.querySelector('meter')).not.toBeNull();
    widget.dispose();
  });

  it('never saves on a block, even with the box ticked', async () => {
    const widget = view([
      report('done', [check('size', 'block'), check('secrets', 'warn')])
    ]);
    await widget.start();
    expect(savable(widget)).toBe(false);
    const box = widget.node.querySelector<HTMLInputElement>(
      'input[type=checkbox]'
    )!;
    expect(box.closest<HTMLElement>('div')!.hidden).toBe(true);
    expect(widget.node.textContent).toContain('Blocks the save');
    widget.dispose();
  });

  it('asks for "Save anyway" on a warning', async () => {
    const widget = view([report('done', [check('secrets', 'warn')])]);
    await widget.start();
    expect(savable(widget)).toBe(false);
    const box = widget.node.querySelector<HTMLInputElement>(
      'input[type=checkbox]'
    )!;
    box.checked = true;
    box.dispatchEvent(new Event('change'));
    expect(savable(widget)).toBe(true);
    widget.dispose();
  });

  it('says why when the report could not be made, and does not block', async () => {
    const widget = viewOf({
      start: async () => {
        throw new Error('the server did not answer');
      },
      latest: async () => report('done', []),
      cleanup: async () => ({ cleaned: [], freed_bytes: 0 })
    });
    await widget.start();
    expect(widget.node.textContent).toContain('the server did not answer');
    expect(savable(widget)).toBe(true);
    widget.dispose();
  });
});
