import { TranslationBundle } from '@jupyterlab/translation';
import { Panel, Widget } from '@lumino/widgets';

import { ChangesView } from './changes';
import { PreflightView } from './preflight';
import { IImageName, ISaveRequest } from './types';
import { checkField, Field, fieldLabel } from './validation';

const FIELDS: Field[] = ['name', 'namespace', 'tag', 'description'];

// Unique element IDs, so labels and messages stay tied to their inputs.
let nextFieldId = 0;

/**
 * The "Save as image" form, shown in a JupyterLab dialog.
 *
 * Each field is checked as the person types; the dialog's Save button stays disabled while
 * anything is invalid (JupyterLab's dialog refuses to accept a form with `:invalid` inputs).
 */
export class SaveForm extends Widget {
  constructor(options: SaveForm.IOptions) {
    super();
    this._trans = options.trans;
    this.addClass('jp-ModelArtsSnapshot-form');
    const trans = options.trans;
    if (options.showNotice) {
      const notice = document.createElement('p');
      notice.className = 'jp-ModelArtsSnapshot-notice';
      notice.textContent = trans.__(
        'While the image is saved, ModelArts pauses this instance: JupyterLab stops answering for a few minutes and reconnects by itself. The image keeps the packages and tools installed in the container; it does not keep the work volume (/home/ma-user/work), which stays with the instance, nor running kernels and processes.'
      );
      this.node.appendChild(notice);
    }
    const placeholders: Record<Field, string> = {
      name: trans.__('e.g. pytorch-env'),
      namespace: trans.__('your SWR organization'),
      tag: trans.__('e.g. 20221223 or v1.0'),
      description: trans.__('optional')
    };
    for (const field of FIELDS) {
      const id = `jp-ModelArtsSnapshot-${field}-${nextFieldId++}`;
      const label = document.createElement('label');
      label.htmlFor = id;
      label.textContent = fieldLabel(field, trans);
      const input = document.createElement(
        field === 'description' ? 'textarea' : 'input'
      ) as HTMLInputElement;
      input.id = id;
      input.name = field;
      input.placeholder = placeholders[field];
      input.value = options.initial[field] ?? '';
      input.setAttribute('aria-describedby', `${id}-message`);
      input.spellcheck = false;
      const message = document.createElement('div');
      message.id = `${id}-message`;
      message.className = 'jp-ModelArtsSnapshot-message';
      message.setAttribute('aria-live', 'polite');
      input.addEventListener('input', () => {
        this._touched.add(field);
        this._check(field);
        // Let the dialog see the new validity now, not at the next keystroke.
        this.node.dispatchEvent(new Event('input', { bubbles: true }));
      });
      input.addEventListener('blur', () => {
        this._touched.add(field);
        this._check(field);
      });
      this._inputs[field] = input;
      this._messages[field] = message;
      this.node.append(label, input, message);
    }
    FIELDS.forEach(field => this._check(field));
    // Off by default: a stop erases everything outside the work volume that the image
    // does not hold, and the server stops only after the image is ACTIVE.
    const stop = document.createElement('label');
    stop.className = 'jp-ModelArtsSnapshot-stopAfterSave';
    this._stop = document.createElement('input');
    this._stop.type = 'checkbox';
    this._stop.name = 'stop_after_save';
    stop.append(
      this._stop,
      ' ',
      trans.__('Stop the instance when the image is saved')
    );
    this.node.appendChild(stop);
  }

  /** The first invalid field's message, or null when the form can be sent. */
  get firstProblem(): string | null {
    for (const field of FIELDS) {
      const problem = checkField(field, this._value(field), this._trans);
      if (problem) {
        return problem;
      }
    }
    return null;
  }

  getValue(): ISaveRequest {
    const request: ISaveRequest = {
      name: this._value('name'),
      namespace: this._value('namespace')
    };
    if (this._value('tag')) {
      request.tag = this._value('tag');
    }
    if (this._value('description')) {
      request.description = this._value('description');
    }
    if (this._stop.checked) {
      request.stop_after_save = true;
    }
    return request;
  }

  /** Put a value into a field, as if typed (e.g. a proposed free tag). */
  setValue(field: Field, value: string): void {
    const input = this._inputs[field];
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.focus();
  }

  protected onAfterAttach(): void {
    const empty = FIELDS.find(
      field => !this._value(field) && field !== 'description'
    );
    this._inputs[empty ?? 'name'].focus();
    this.node.dispatchEvent(new Event('input', { bubbles: true }));
  }

  private _value(field: Field): string {
    return this._inputs[field].value.trim();
  }

  private _check(field: Field): void {
    const problem = checkField(field, this._value(field), this._trans);
    const input = this._inputs[field];
    input.setCustomValidity(problem ?? '');
    const shown = problem !== null && this._touched.has(field);
    input.setAttribute('aria-invalid', shown ? 'true' : 'false');
    this._messages[field].textContent = shown ? problem : '';
  }

  private _trans: TranslationBundle;
  private _inputs = {} as Record<Field, HTMLInputElement>;
  private _stop: HTMLInputElement;
  private _messages = {} as Record<Field, HTMLDivElement>;
  private _touched = new Set<Field>();
}

/** How long typing may pause before the tag is checked against the organization. */
const TAG_CHECK_DELAY_MS = 600;

/**
 * The Save dialog's body: the form, what the image adds, and the pre-flight report. The
 * pre-flight starts when the dialog opens; each pause in typing a valid name, organization and
 * tag checks the tag again.
 */
export class SaveDialogBody extends Panel {
  constructor(
    readonly form: SaveForm,
    readonly preflight: PreflightView,
    readonly changes: ChangesView
  ) {
    super();
    this.addClass('jp-ModelArtsSnapshot-dialog');
    this.addWidget(form);
    this.addWidget(changes);
    this.addWidget(preflight);
    form.node.addEventListener('input', () => {
      window.clearTimeout(this._timer);
      this._timer = window.setTimeout(
        () => void this.preflight.start(this._image()),
        TAG_CHECK_DELAY_MS
      );
    });
    void preflight.start(this._image());
  }

  getValue(): ISaveRequest {
    const request = this.form.getValue();
    if (this.preflight.skipsSizeCheck) {
      request.skip_size_check = true;
    }
    return request;
  }

  dispose(): void {
    window.clearTimeout(this._timer);
    this.preflight.dispose();
    super.dispose();
  }

  private _image(): IImageName | undefined {
    const value = this.form.getValue();
    return this.form.firstProblem === null && value.tag
      ? { name: value.name, namespace: value.namespace, tag: value.tag }
      : undefined;
  }

  private _timer = 0;
}

export namespace SaveForm {
  export interface IOptions {
    trans: TranslationBundle;
    initial: Partial<Record<Field, string>>;
    showNotice: boolean;
  }
}
