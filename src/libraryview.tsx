/**
 * The panel's "Saved images" section: every saved image of the organizations this instance
 * saved to (or of one chosen), grouped by name, with what runs now and what starts next; and
 * the dialogs that delete one image or prune a name, each naming exactly what goes.
 */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { humanSize, statusKind, statusWords } from './format';
import {
  DEFAULT_KEEP,
  deletedText,
  deleteRefusal,
  IMAGES_SHOWN,
  imageLabel,
  keepProblem,
  LibraryModel,
  MAX_KEEP,
  MIN_KEEP,
  prunedText
} from './library';
import { IImageGroup, IPruneResult, ISavedImage } from './types';
import { STATUSES, Status } from './generated/vocabulary';

let choiceSerial = 0;

/** The explicit choice of what a delete takes: the registration only (the default), or more. */
function SwrChoice(props: {
  trans: TranslationBundle;
  withSwr: boolean;
  onChange: (withSwr: boolean) => void;
  many?: boolean;
}): JSX.Element {
  const { trans, withSwr, onChange, many } = props;
  const [name] = React.useState(
    () => `jp-ModelArtsSnapshot-swr-${++choiceSerial}`
  );
  return (
    <fieldset className="jp-ModelArtsSnapshot-swrChoice">
      <legend>{trans.__('What to delete')}</legend>
      <label>
        <input
          type="radio"
          name={name}
          value="registration"
          checked={!withSwr}
          onChange={() => onChange(false)}
        />{' '}
        {many
          ? trans.__(
              'The ModelArts registrations only (the SWR images stay and keep using the organization’s storage)'
            )
          : trans.__(
              'The ModelArts registration only (the SWR image stays and keeps using the organization’s storage)'
            )}
      </label>
      <label>
        <input
          type="radio"
          name={name}
          value="swr"
          checked={withSwr}
          onChange={() => onChange(true)}
        />{' '}
        {many
          ? trans.__('The registrations and the SWR images with their storage')
          : trans.__('The registration and the SWR image with its storage')}
      </label>
    </fieldset>
  );
}

/** The delete dialog's body: the image by name, and the choice; its value: with SWR content. */
class DeleteBody extends ReactWidget implements Dialog.IBodyWidget<boolean> {
  constructor(
    private _image: ISavedImage,
    private _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-ModelArtsSnapshot-deleteDialog');
  }

  getValue(): boolean {
    return this._withSwr;
  }

  render(): JSX.Element {
    const trans = this._trans;
    return (
      <>
        <p>
          {trans.__('Delete the saved image')}{' '}
          <strong className="jp-ModelArtsSnapshot-deleteLabel">
            {imageLabel(this._image)}
          </strong>
          ?
        </p>
        <SwrChoice
          trans={trans}
          withSwr={this._withSwr}
          onChange={withSwr => {
            this._withSwr = withSwr;
            this.update();
          }}
        />
        <p className="jp-ModelArtsSnapshot-deleteNote">
          {this._withSwr
            ? trans.__(
                'The image cannot be pulled or started again after this.'
              )
            : trans.__(
                'ModelArts no longer lists the image; the SWR image can still be pulled, and registered again.'
              )}
        </p>
      </>
    );
  }

  private _withSwr = false;
}

/** The prune dialog's body: how many to keep, and the choice. */
class PruneBody
  extends ReactWidget
  implements Dialog.IBodyWidget<{ keep: string; withSwr: boolean }>
{
  constructor(
    private _group: IImageGroup,
    private _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-ModelArtsSnapshot-pruneDialog');
  }

  getValue(): { keep: string; withSwr: boolean } {
    return { keep: this._keep, withSwr: this._withSwr };
  }

  render(): JSX.Element {
    const trans = this._trans;
    return (
      <>
        <p>
          {trans.__(
            'Keep the newest images of %1 and delete the older ones. The next step lists exactly what would go.',
            `${this._group.namespace}/${this._group.name}`
          )}
        </p>
        <label>
          {trans.__('Images to keep')}{' '}
          <input
            type="number"
            min={MIN_KEEP}
            max={MAX_KEEP}
            step={1}
            value={this._keep}
            aria-label={trans.__('Images to keep')}
            onChange={event => {
              this._keep = event.target.value;
              this.update();
            }}
          />
        </label>
        <SwrChoice
          trans={trans}
          withSwr={this._withSwr}
          many
          onChange={withSwr => {
            this._withSwr = withSwr;
            this.update();
          }}
        />
      </>
    );
  }

  private _keep = String(DEFAULT_KEEP);
  private _withSwr = false;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Delete one image after a confirmation that names it and what of it goes. */
export async function confirmDelete(
  model: LibraryModel,
  image: ISavedImage,
  trans: TranslationBundle
): Promise<void> {
  const result = await showDialog({
    title: trans.__('Delete image'),
    body: new DeleteBody(image, trans),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: trans.__('Delete') })
    ],
    focusNodeSelector: 'input[value="registration"]'
  });
  if (!result.button.accept) {
    return;
  }
  try {
    const deleted = await model.remove(image, result.value === true);
    const notify = deleted.swr_error
      ? Notification.warning
      : Notification.success;
    notify(deletedText(deleted, trans), { autoClose: 8000 });
  } catch (error) {
    Notification.error(
      trans.__('%1 was not deleted: %2', imageLabel(image), errorText(error)),
      { autoClose: false }
    );
  }
}

/** One image in the prune lists. */
function PlanItem(props: {
  image: ISavedImage;
  trans: TranslationBundle;
  why?: string;
}): JSX.Element {
  const { image, why } = props;
  const size = humanSize(image.size_kb);
  return (
    <li data-id={image.id}>
      <code>{imageLabel(image)}</code>
      {image.created_at && ` · ${new Date(image.created_at).toLocaleString()}`}
      {size && ` · ${size}`}
      {why && ` · ${why}`}
    </li>
  );
}

/** The prune plan, as the second confirmation shows it. */
function PlanBody(props: {
  plan: IPruneResult;
  trans: TranslationBundle;
}): JSX.Element {
  const { plan, trans } = props;
  return (
    <div className="jp-ModelArtsSnapshot-prunePlan">
      {plan.delete.length > 0 ? (
        <>
          <p>
            {plan.with_swr_content
              ? trans.__(
                  'These %1 image(s) go, with their SWR images and storage:',
                  plan.delete.length
                )
              : trans.__(
                  'The ModelArts registrations of these %1 image(s) go (their SWR images stay):',
                  plan.delete.length
                )}
          </p>
          <ul className="jp-ModelArtsSnapshot-pruneDelete">
            {plan.delete.map(image => (
              <PlanItem key={image.id} image={image} trans={trans} />
            ))}
          </ul>
        </>
      ) : (
        <p>{trans.__('Nothing would be deleted.')}</p>
      )}
      {plan.refused.length > 0 && (
        <>
          <p>{trans.__('These older images stay:')}</p>
          <ul className="jp-ModelArtsSnapshot-pruneRefused">
            {plan.refused.map(refused => (
              <PlanItem
                key={refused.image.id}
                image={refused.image}
                trans={trans}
                why={refused.message}
              />
            ))}
          </ul>
        </>
      )}
      <p>
        {trans.__(
          'The newest %1 stay: %2',
          plan.kept.length,
          plan.kept.map(image => image.tag).join(', ')
        )}
      </p>
    </div>
  );
}

/**
 * Prune a group: how many to keep, a dry run that lists exactly what would go, and only on a
 * second confirmation the delete of that list.
 */
export async function confirmPrune(
  model: LibraryModel,
  group: IImageGroup,
  trans: TranslationBundle
): Promise<void> {
  const groupName = `${group.namespace}/${group.name}`;
  const first = await showDialog({
    title: trans.__('Keep the newest images of %1', groupName),
    body: new PruneBody(group, trans),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: trans.__('List what would go') })
    ]
  });
  if (!first.button.accept || !first.value) {
    return;
  }
  const problem = keepProblem(first.value.keep, trans);
  if (problem) {
    Notification.error(problem);
    return;
  }
  let plan: IPruneResult;
  try {
    plan = await model.planPrune(
      group,
      Number(first.value.keep),
      first.value.withSwr
    );
  } catch (error) {
    Notification.error(
      trans.__(
        'The images of %1 could not be listed: %2',
        groupName,
        errorText(error)
      ),
      { autoClose: false }
    );
    return;
  }
  const body = <PlanBody plan={plan} trans={trans} />;
  if (plan.delete.length === 0) {
    await showDialog({
      title: trans.__('Keep the newest images of %1', groupName),
      body,
      buttons: [Dialog.okButton({ label: trans.__('Close') })]
    });
    return;
  }
  const second = await showDialog({
    title: trans.__('Delete %1 image(s) of %2?', plan.delete.length, groupName),
    body,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: trans.__('Delete') })
    ]
  });
  if (!second.button.accept) {
    return;
  }
  try {
    const done = await model.prune(plan);
    Notification.success(prunedText(done, trans), { autoClose: 8000 });
  } catch (error) {
    Notification.error(
      trans.__('Nothing of %1 was deleted: %2', groupName, errorText(error)),
      { autoClose: false }
    );
  }
}

function isStatus(status: string): status is Status {
  return (STATUSES as readonly string[]).includes(status);
}

/** One image: tag, status, size, when saved, its marks, and Delete. */
function ImageRow(props: {
  image: ISavedImage;
  model: LibraryModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { image, model, trans } = props;
  const known = isStatus(image.status);
  const kind = known ? statusKind(image.status as Status) : 'muted';
  const refusal = deleteRefusal(image, trans);
  const size = humanSize(image.size_kb);
  return (
    <li
      className="jp-ModelArtsSnapshot-image"
      data-id={image.id}
      data-tag={image.tag}
    >
      <span className="jp-ModelArtsSnapshot-imageTag">{image.tag}</span>
      <span
        className={`jp-ModelArtsSnapshot-status jp-mod-${kind}`}
        title={image.status}
      >
        {known ? statusWords(image.status as Status, trans) : image.status}
      </span>
      <span className="jp-ModelArtsSnapshot-imageSize">{size}</span>
      <span className="jp-ModelArtsSnapshot-imageDate">
        {image.created_at ? new Date(image.created_at).toLocaleString() : ''}
      </span>
      <span className="jp-ModelArtsSnapshot-marks">
        {image.runs_now && (
          <span className="jp-ModelArtsSnapshot-mark jp-mod-runsNow">
            {trans.__('Runs now')}
          </span>
        )}
        {image.starts_next && (
          <span className="jp-ModelArtsSnapshot-mark jp-mod-startsNext">
            {trans.__('Starts next')}
          </span>
        )}
        {image.from_this_instance && (
          <span className="jp-ModelArtsSnapshot-mark jp-mod-fromHere">
            {trans.__('From this instance')}
          </span>
        )}
      </span>
      <button
        className="jp-mod-styled jp-ModelArtsSnapshot-delete"
        disabled={refusal !== null}
        title={refusal ?? trans.__('Delete %1', imageLabel(image))}
        aria-label={trans.__('Delete %1', imageLabel(image))}
        onClick={() => void confirmDelete(model, image, trans)}
      >
        {trans.__('Delete')}
      </button>
    </li>
  );
}

function GroupView(props: {
  group: IImageGroup;
  model: LibraryModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { group, model, trans } = props;
  const all = model.showsAll(group);
  const shown = all ? group.images : group.images.slice(0, IMAGES_SHOWN);
  const name = `${group.namespace}/${group.name}`;
  return (
    <li className="jp-ModelArtsSnapshot-group" data-name={name}>
      <div className="jp-ModelArtsSnapshot-groupTitle">
        <span className="jp-ModelArtsSnapshot-groupName">{name}</span>
        <span className="jp-ModelArtsSnapshot-groupCount">
          {trans._n('%1 image', '%1 images', group.total)}
        </span>
        <button
          className="jp-mod-styled"
          aria-label={trans.__('Keep the newest images of %1', name)}
          onClick={() => void confirmPrune(model, group, trans)}
        >
          {trans.__('Keep newest N…')}
        </button>
      </div>
      <ul className="jp-ModelArtsSnapshot-images">
        {shown.map(image => (
          <ImageRow key={image.id} image={image} model={model} trans={trans} />
        ))}
      </ul>
      {group.total > IMAGES_SHOWN && (
        <button
          className="jp-mod-styled jp-ModelArtsSnapshot-showAll"
          disabled={model.loading}
          onClick={() => void model.setShowAll(group, !all)}
        >
          {all
            ? trans.__('Show the newest %1', IMAGES_SHOWN)
            : trans.__('Show all %1', group.total)}
        </button>
      )}
    </li>
  );
}

/** The organization field: list another organization, or (empty) those this instance saved to. */
function NamespaceField(props: {
  model: LibraryModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const [draft, setDraft] = React.useState(model.namespace);
  const suggestion = model.suggestion;
  React.useEffect(() => {
    if (suggestion) {
      setDraft(current => current || suggestion);
    }
  }, [suggestion]);
  return (
    <form
      className="jp-ModelArtsSnapshot-namespaceField"
      onSubmit={event => {
        event.preventDefault();
        void model.setNamespace(draft);
      }}
    >
      <label>
        {trans.__('Organization')}{' '}
        <input
          type="text"
          value={draft}
          placeholder={trans.__('those this instance saved to')}
          aria-label={trans.__('Organization')}
          onChange={event => setDraft(event.target.value)}
        />
      </label>
      <button type="submit" className="jp-mod-styled">
        {trans.__('Show')}
      </button>
    </form>
  );
}

function LibraryContent(props: {
  model: LibraryModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  const library = model.library;
  const first = model.offset + 1;
  const last = library
    ? Math.min(model.offset + model.limit, library.total_groups)
    : 0;
  return (
    <div className="jp-ModelArtsSnapshot-libraryBody">
      <div className="jp-ModelArtsSnapshot-libraryTools">
        <NamespaceField model={model} trans={trans} />
        <button
          className="jp-mod-styled"
          disabled={model.loading}
          title={trans.__('Read the list from ModelArts again')}
          onClick={() => void model.refresh()}
        >
          {trans.__('Refresh')}
        </button>
      </div>
      {model.loading && (
        <p className="jp-ModelArtsSnapshot-libraryLoading" role="status">
          {trans.__('Listing the saved images…')}
        </p>
      )}
      {model.error && (
        <div className="jp-ModelArtsSnapshot-libraryError" role="alert">
          {trans.__('The saved images could not be listed: %1', model.error)}
        </div>
      )}
      {library && library.namespaces.length === 0 && (
        <p className="jp-ModelArtsSnapshot-empty">
          {trans.__(
            'This instance has not saved to an organization yet. Choose one above to list its saved images.'
          )}
        </p>
      )}
      {library && library.namespaces.length > 0 && (
        <>
          <p className="jp-ModelArtsSnapshot-librarySummary">
            {trans.__(
              '%1 saved image(s) of %2 name(s) in %3',
              library.total_images,
              library.total_groups,
              library.namespaces.join(', ')
            )}
            {library.fetched_at &&
              ` · ${trans.__(
                'listed at %1',
                new Date(library.fetched_at).toLocaleTimeString()
              )}`}
          </p>
          {library.groups.length === 0 ? (
            <p className="jp-ModelArtsSnapshot-empty">
              {trans.__('No saved images here.')}
            </p>
          ) : (
            <ul className="jp-ModelArtsSnapshot-groups">
              {library.groups.map(group => (
                <GroupView
                  key={`${group.namespace}/${group.name}`}
                  group={group}
                  model={model}
                  trans={trans}
                />
              ))}
            </ul>
          )}
          {(model.hasPrevious || model.hasNext) && (
            <div className="jp-ModelArtsSnapshot-pager">
              <button
                className="jp-mod-styled"
                disabled={!model.hasPrevious || model.loading}
                onClick={() => void model.previous()}
              >
                {trans.__('Previous')}
              </button>
              <span>
                {trans.__(
                  'Names %1–%2 of %3',
                  first,
                  last,
                  library.total_groups
                )}
              </span>
              <button
                className="jp-mod-styled"
                disabled={!model.hasNext || model.loading}
                onClick={() => void model.next()}
              >
                {trans.__('Next')}
              </button>
            </div>
          )}
        </>
      )}
    </div>
  );
}

/** The panel's collapsible "Saved images" section; it reads the list when it opens. */
export function LibrarySection(props: {
  model: LibraryModel;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans } = props;
  return (
    <UseSignal signal={model.changed}>
      {() => (
        <section
          aria-label={trans.__('Saved images')}
          className="jp-ModelArtsSnapshot-library"
        >
          <h3>
            <button
              className="jp-ModelArtsSnapshot-libraryToggle"
              aria-expanded={model.expanded}
              onClick={() => void model.setExpanded(!model.expanded)}
            >
              <span className="jp-ModelArtsSnapshot-caret" aria-hidden="true">
                {model.expanded ? '▾' : '▸'}
              </span>{' '}
              {trans.__('Saved images')}
            </button>
          </h3>
          {model.expanded && <LibraryContent model={model} trans={trans} />}
        </section>
      )}
    </UseSignal>
  );
}
