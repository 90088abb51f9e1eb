/**
 * The pre-flight report in the Save dialog: what the image will hold, and the checks that may
 * refuse or question the save.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Poll } from '@lumino/polling';
import { Widget } from '@lumino/widgets';

import { IPreflightAPI, preflightAPI } from './api';
import { actionButton, element } from './dom';
import { humanBytes, levelWords } from './format';
import { ICheck, ICheckItem, IImageName, IPreflightReport } from './types';
import { CheckId } from './generated/vocabulary';

// Unique element IDs, so labels stay tied to what they name.
let nextPreflightId = 0;

/** The checks whose items the dialog lists (the others say all in their message). */
const LISTED_CHECKS: readonly CheckId[] = [
  'caches',
  'secrets',
  'kernels',
  'processes'
];

/** How often the dialog asks for the pre-flight report while the walk runs. */
const PROGRESS_INTERVAL_MS = 500;

/**
 * The pre-flight report in the Save dialog: progress while the walk runs, then the size
 * against the limit, the largest additions and each check. A block keeps the dialog's Save
 * button disabled (the dialog refuses a body with `.jp-mod-error`); a warning asks the person
 * to tick "Save anyway" (a required checkbox).
 */
export class PreflightView extends Widget {
  constructor(options: PreflightView.IOptions) {
    super();
    this._options = options;
    this._api = options.api ?? preflightAPI;
    const trans = options.trans;
    this.addClass('jp-ModelArtsSnapshot-report');
    this.node.setAttribute('role', 'region');
    const heading = element(
      'h3',
      'jp-ModelArtsSnapshot-reportTitle',
      trans.__('What the image will hold')
    );
    heading.id = `jp-ModelArtsSnapshot-report-${nextPreflightId++}`;
    this.node.setAttribute('aria-labelledby', heading.id);
    this._status.setAttribute('role', 'status');
    this._status.setAttribute('aria-live', 'polite');
    this._confirmBox.type = 'checkbox';
    this._confirmBox.id = `${heading.id}-confirm`;
    this._confirmBox.addEventListener('change', () => this._revalidate());
    const confirmLabel = element(
      'label',
      '',
      trans.__('Save anyway, despite the warnings above')
    );
    confirmLabel.htmlFor = this._confirmBox.id;
    this._confirm.append(this._confirmBox, confirmLabel);
    this._saveNowBox.append(
      element(
        'p',
        '',
        trans.__(
          'Save now skips the size check, which prevents a failure after the pause: ModelArts refuses an image over its size limit only after pausing the instance. The instance and the tag are still checked.'
        )
      ),
      actionButton('warn', trans.__('Save now'), () => {
        this._saveNow = true;
        this._revalidate();
        this._options.onSaveNow?.();
      })
    );
    this.node.append(
      heading,
      this._status,
      this._saveNowBox,
      this._body,
      this._unsaved,
      this._confirm
    );
    this._render();
  }

  get preflight(): IPreflightReport | null {
    return this._preflight;
  }

  /** The person chose "Save now" while the walk still runs: the save skips the size check. */
  get skipsSizeCheck(): boolean {
    return this._saveNow && this._waiting;
  }

  private get _waiting(): boolean {
    return (
      !this._error && (!this._preflight || this._preflight.state === 'running')
    );
  }

  /** Start (or join) the pre-flight report; `image` lets the server check the tag too. */
  async start(image?: IImageName): Promise<void> {
    try {
      this._update(await this._api.start(image));
    } catch (error) {
      this._failed((error as Error).message);
      return;
    }
    if (this._preflight?.state === 'running' && !this._poll) {
      this._poll = new Poll({
        factory: () => this._refresh(),
        frequency: { interval: PROGRESS_INTERVAL_MS, backoff: false },
        standby: 'never'
      });
    }
  }

  dispose(): void {
    this._poll?.dispose();
    super.dispose();
  }

  private async _refresh(): Promise<void> {
    const preflight = await this._api.latest();
    this._update(preflight);
    if (preflight.state !== 'running') {
      this._poll?.dispose();
      this._poll = null;
    }
  }

  private _update(preflight: IPreflightReport): void {
    this._preflight = preflight;
    this._error = null;
    this._render();
  }

  private _failed(message: string): void {
    this._error = message;
    this._render();
  }

  private _render(): void {
    const trans = this._options.trans;
    const preflight = this._preflight;
    this._body.replaceChildren();
    if (this._error) {
      this._status.textContent = trans.__(
        'The report could not be made: %1',
        this._error
      );
    } else if (!preflight || preflight.state === 'running') {
      const progress = preflight?.progress ?? { files: 0, bytes: 0 };
      this._status.textContent = trans.__(
        'Looking at what the image will add: %1 changed files, %2 so far…',
        progress.files,
        humanBytes(progress.bytes)
      );
    } else if (preflight.state === 'failed') {
      this._status.textContent = trans.__(
        'The report could not be made: %1',
        preflight.message ?? ''
      );
    } else {
      this._status.textContent = preflight.partial
        ? trans.__(
            'The walk stopped at its time limit: the figures below are at least what the image adds.'
          )
        : trans.__('The report is ready.');
    }
    if (preflight?.estimate) {
      this._body.append(this._sizeBar(preflight.estimate));
    }
    if (preflight && preflight.largest.length > 0) {
      this._body.append(this._largest(preflight.largest));
    }
    if (preflight && preflight.checks.length > 0) {
      const list = element('ul', 'jp-ModelArtsSnapshot-checks');
      list.setAttribute('aria-label', trans.__('Checks'));
      for (const check of preflight.checks) {
        list.append(this._check(check));
      }
      this._body.append(list);
    }
    this._renderUnsaved();
    this._revalidate();
  }

  private _sizeBar(estimate: NonNullable<IPreflightReport['estimate']>) {
    const trans = this._options.trans;
    const box = element('div', 'jp-ModelArtsSnapshot-size');
    const label = element(
      'div',
      '',
      trans.__(
        'The image grows by %1 (%2 files) of the %3 ModelArts saves.',
        humanBytes(estimate.bytes),
        estimate.files,
        humanBytes(estimate.limit_bytes)
      )
    );
    label.id = `jp-ModelArtsSnapshot-size-${nextPreflightId++}`;
    const meter = document.createElement('meter');
    meter.min = 0;
    meter.max = estimate.limit_bytes;
    meter.low = estimate.limit_bytes * 0.8;
    meter.high = estimate.limit_bytes * 0.8;
    meter.optimum = 0;
    meter.value = Math.min(estimate.bytes, estimate.limit_bytes);
    meter.setAttribute('aria-labelledby', label.id);
    box.append(label, meter);
    return box;
  }

  private _largest(largest: ICheckItem[]): HTMLElement {
    const trans = this._options.trans;
    const details = element('details', 'jp-ModelArtsSnapshot-largest');
    details.append(
      element('summary', '', trans.__('Largest additions (%1)', largest.length))
    );
    const list = element('ul', '');
    for (const entry of largest) {
      list.append(
        element(
          'li',
          '',
          `${humanBytes(entry.bytes ?? 0)} — ${entry.path ?? ''}`
        )
      );
    }
    details.append(list);
    return details;
  }

  private _check(check: ICheck): HTMLElement {
    const trans = this._options.trans;
    const item = element(
      'li',
      `jp-ModelArtsSnapshot-check jp-mod-level-${check.level}`
    );
    item.dataset.check = check.id;
    item.append(
      element(
        'span',
        'jp-ModelArtsSnapshot-level',
        levelWords(check.level, trans)
      ),
      element('span', 'jp-ModelArtsSnapshot-checkMessage', check.message)
    );
    const rows = check.items.map(entry => this._itemText(check, entry));
    if (rows.length > 0 && LISTED_CHECKS.includes(check.id)) {
      const list = element('ul', 'jp-ModelArtsSnapshot-items');
      rows.forEach(text => list.append(element('li', '', text)));
      item.append(list);
    }
    if (check.id === 'caches' && check.level !== 'ok') {
      item.append(this._cleanup(check.items));
    }
    if (check.id === 'caches' && this._cleaned) {
      item.append(element('p', 'jp-ModelArtsSnapshot-cleaned', this._cleaned));
    }
    const proposed = check.items.find(entry => entry.kind === 'proposed-tag');
    if (check.id === 'tag' && check.level === 'block' && proposed?.name) {
      item.append(
        actionButton('accept', trans.__('Use tag %1', proposed.name), () =>
          this._options.onUseTag(proposed.name ?? '')
        )
      );
    }
    return item;
  }

  private _itemText(check: ICheck, entry: ICheckItem): string {
    const trans = this._options.trans;
    switch (check.id) {
      case 'caches':
        return trans.__(
          '%1 (%2): %3',
          entry.path ?? '',
          entry.kind,
          humanBytes(entry.bytes ?? 0)
        );
      case 'secrets':
        return trans.__('%1 (%2)', entry.path ?? '', entry.kind);
      case 'kernels':
        return trans.__('Kernel %1 (%2)', entry.name ?? '', entry.id ?? '');
      case 'processes':
        return trans.__('Process %1 (%2)', entry.name ?? '', entry.id ?? '');
      default:
        return entry.name ?? entry.path ?? entry.kind;
    }
  }

  /** "Clean up N GB", then an inline confirmation that lists what is removed. */
  private _cleanup(items: ICheckItem[]): HTMLElement {
    const trans = this._options.trans;
    const box = element('div', 'jp-ModelArtsSnapshot-cleanup');
    const listed = items.filter(entry => entry.path && (entry.bytes ?? 0) > 0);
    const total = listed.reduce((sum, entry) => sum + (entry.bytes ?? 0), 0);
    const button = actionButton(
      'reject',
      trans.__('Clean up %1', humanBytes(total)),
      () => {
        const confirm = element('div', 'jp-ModelArtsSnapshot-confirm');
        confirm.setAttribute('role', 'group');
        confirm.setAttribute('aria-label', trans.__('Confirm the cleanup'));
        confirm.append(
          element(
            'p',
            '',
            trans.__(
              'This deletes the content of these folders. Their tools download it again when needed; nothing in the work volume is touched.'
            )
          )
        );
        const paths = element('ul', '');
        listed.forEach(entry =>
          paths.append(
            element('li', '', `${entry.path} (${humanBytes(entry.bytes ?? 0)})`)
          )
        );
        const cancel = actionButton('reject', trans.__('Keep them'), () => {
          confirm.replaceWith(button);
          button.focus();
        });
        const remove = actionButton(
          'warn',
          trans.__('Delete %1', humanBytes(total)),
          async () => {
            remove.disabled = cancel.disabled = true;
            try {
              const result = await this._api.cleanup(
                listed.map(entry => entry.path as string)
              );
              this._cleaned = trans.__(
                'Cleaned up: the image carries %1 less.',
                humanBytes(result.freed_bytes)
              );
              this._update(await this._api.latest());
            } catch (error) {
              this._failed((error as Error).message);
            }
          }
        );
        confirm.append(paths, cancel, remove);
        button.replaceWith(confirm);
        cancel.focus();
      }
    );
    box.append(button);
    return box;
  }

  private _renderUnsaved(): void {
    const trans = this._options.trans;
    const titles = this._options.unsaved();
    this._unsaved.replaceChildren();
    if (titles.length === 0) {
      return;
    }
    this._unsaved.append(
      element(
        'p',
        'jp-ModelArtsSnapshot-checkMessage',
        trans.__(
          'Unsaved documents: %1. The image does not hold them; save them to keep the changes.',
          titles.join(', ')
        )
      )
    );
    this._unsaved.append(
      actionButton('accept', trans.__('Save all'), async () => {
        await this._options.saveAll();
        this._renderUnsaved();
        this._revalidate();
      })
    );
  }

  /** Keep the dialog's Save button in step: disabled while running or on a block. */
  private _revalidate(): void {
    const preflight = this._preflight;
    const levels = preflight?.checks.map(check => check.level) ?? [];
    const waiting = this._waiting;
    const blocked = levels.includes('block');
    const warned =
      levels.includes('warn') || this._options.unsaved().length > 0;
    this._status.classList.toggle(
      'jp-mod-error',
      (waiting && !this._saveNow) || blocked
    );
    this._saveNowBox.hidden = !waiting || blocked || this._saveNow;
    this._confirm.hidden = blocked || waiting || !warned;
    this._confirmBox.required = !this._confirm.hidden;
    this.node.dispatchEvent(new Event('input', { bubbles: true }));
  }

  private _options: PreflightView.IOptions;
  private _api: IPreflightAPI;
  private _preflight: IPreflightReport | null = null;
  private _error: string | null = null;
  private _cleaned: string | null = null;
  private _poll: Poll | null = null;
  private _saveNow = false;
  private _saveNowBox = element('div', 'jp-ModelArtsSnapshot-saveNow');
  private _status = element('p', 'jp-ModelArtsSnapshot-reportStatus');
  private _body = element('div', 'jp-ModelArtsSnapshot-reportBody');
  private _unsaved = element('div', 'jp-ModelArtsSnapshot-unsaved');
  private _confirm = element('div', 'jp-ModelArtsSnapshot-saveAnyway');
  private _confirmBox = document.createElement('input');
}

export namespace PreflightView {
  export interface IOptions {
    trans: TranslationBundle;
    /** The REST API's pre-flight calls unless given. */
    api?: IPreflightAPI;
    /** Titles of the documents open with unsaved changes. */
    unsaved: () => string[];
    saveAll: () => Promise<void>;
    /** Put a proposed tag into the form. */
    onUseTag: (tag: string) => void;
    /** "Save now" was chosen while the walk runs: accept the dialog. */
    onSaveNow?: () => void;
  }
}
