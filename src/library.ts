/**
 * The library of saved images as the panel sees it: a page of image groups of one organization
 * (or of those this instance saved to), read when the section opens, never polled; deleting one
 * image, and pruning a name to its newest images after a dry run.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';

import { ILibraryAPI, libraryAPI } from './api';
import { FINISHED } from './generated/vocabulary';
import {
  IDeletedImage,
  IImageGroup,
  ILibrary,
  IPruneResult,
  ISavedImage
} from './types';

/** Image groups in one page of the view: small pages keep 1,000 images quick to show. */
export const GROUPS_PER_PAGE = 10;
/** Images of a group shown before "Show all" (the server's default `per_group`). */
export const IMAGES_SHOWN = 10;
/** What the prune dialog offers to keep. */
export const DEFAULT_KEEP = 3;
/** `PruneRequest.keep`'s range. */
export const MIN_KEEP = 1;
export const MAX_KEEP = 1000;

/** Why the server would refuse to delete this image, or null when it can go. */
export function deleteRefusal(
  image: ISavedImage,
  trans: TranslationBundle
): string | null {
  if (image.runs_now) {
    return trans.__(
      'This instance runs from this image: keep it while the instance uses it.'
    );
  }
  if (image.starts_next) {
    return trans.__(
      'The next start of this instance runs from this image: deleting it would leave the instance nothing to start.'
    );
  }
  // Not finished (`x-finished`): still being saved, and deleting it would break the save.
  if (!(FINISHED as readonly string[]).includes(image.status)) {
    return trans.__('This image is still being saved: wait until it ends.');
  }
  return null;
}

/** The image as people name it: `namespace/name:tag`. */
export function imageLabel(image: {
  namespace: string;
  name: string;
  tag: string;
}): string {
  return `${image.namespace}/${image.name}:${image.tag}`;
}

/** What a delete removed, in words. */
export function deletedText(
  deleted: IDeletedImage,
  trans: TranslationBundle
): string {
  const label = imageLabel(deleted);
  if (deleted.swr_error) {
    return deleted.swr_error; // the registration went, SWR refused: the server's words
  }
  return deleted.swr_content === 'kept'
    ? trans.__(
        'Deleted the ModelArts registration of %1. Its SWR image stays and keeps using the organization’s storage.',
        label
      )
    : trans.__(
        'Deleted %1: its ModelArts registration and its SWR image with its storage.',
        label
      );
}

/** What a prune removed, in words. */
export function prunedText(
  result: IPruneResult,
  trans: TranslationBundle
): string {
  const group = `${result.namespace}/${result.name}`;
  const done = result.with_swr_content
    ? trans.__(
        'Deleted %1 image(s) of %2, with their SWR images and storage; the newest %3 stay.',
        result.deleted.length,
        group,
        result.keep
      )
    : trans.__(
        'Deleted the ModelArts registration of %1 image(s) of %2 (their SWR images stay); the newest %3 stay.',
        result.deleted.length,
        group,
        result.keep
      );
  if (result.failed.length === 0) {
    return done;
  }
  const failed = result.failed
    .map(entry => `${imageLabel(entry.image)}: ${entry.message}`)
    .join('; ');
  return `${done} ${trans.__('Not deleted: %1', failed)}`;
}

/** Why a number of images to keep cannot be sent, or null. */
export function keepProblem(
  value: string,
  trans: TranslationBundle
): string | null {
  const keep = Number(value);
  return /^\d+$/.test(value.trim()) && keep >= MIN_KEEP && keep <= MAX_KEEP
    ? null
    : trans.__(
        'Choose a whole number of images from %1 to %2.',
        MIN_KEEP,
        MAX_KEEP
      );
}

/**
 * The library section's state: whether it is open, the organization asked for (empty: those
 * this instance saved to), the page of groups, and the last error. It reads the server when
 * the section opens, when asked to refresh, and after a delete; the server answers from its
 * own list, read from ModelArts at most once per `library_cache_seconds`.
 */
export class LibraryModel {
  constructor(options: LibraryModel.IOptions = {}) {
    this._api = options.api ?? libraryAPI;
    this._suggest = options.suggestNamespace ?? (async () => '');
    this._limit = options.limit ?? GROUPS_PER_PAGE;
  }

  /** Emitted whenever something shown changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Whether the section is open. */
  get expanded(): boolean {
    return this._expanded;
  }

  /** The page last read, or null before the first read. */
  get library(): ILibrary | null {
    return this._library;
  }

  /** The organization asked for; empty for those this instance saved to. */
  get namespace(): string {
    return this._namespace;
  }

  /** The organization to offer in the field when there is none to list. */
  get suggestion(): string {
    return this._suggestion;
  }

  /** Whether a read is under way. */
  get loading(): boolean {
    return this._pending > 0;
  }

  /** Why the last read failed, or null. */
  get error(): string | null {
    return this._error;
  }

  get offset(): number {
    return this._offset;
  }

  get limit(): number {
    return this._limit;
  }

  /** Whether there are groups before or after this page. */
  get hasPrevious(): boolean {
    return this._offset > 0;
  }

  get hasNext(): boolean {
    const library = this._library;
    return (
      library !== null && this._offset + this._limit < library.total_groups
    );
  }

  /** Whether this group shows all its images. */
  showsAll(group: IImageGroup): boolean {
    return this._showAll.has(groupKey(group));
  }

  /**
   * Show all the images of this group, or only the newest. The server sends the newest
   * `per_group` of each name: asking for more reads the page again (from its cached list).
   */
  async setShowAll(group: IImageGroup, all: boolean): Promise<void> {
    const key = groupKey(group);
    if (all) {
      this._showAll.set(key, group.total);
    } else {
      this._showAll.delete(key);
    }
    this._changed.emit();
    if (all && group.images.length < group.total) {
      await this.load();
    }
  }

  /** The images of each name to ask for: more than the default only for a group shown whole. */
  private _perGroup(): number | undefined {
    const wanted = Math.max(0, ...this._showAll.values());
    return wanted > IMAGES_SHOWN ? Math.min(wanted, MAX_KEEP) : undefined;
  }

  /** Open or close the section; opening reads the page (the server's cached list, if fresh). */
  async setExpanded(expanded: boolean): Promise<void> {
    if (this._expanded === expanded) {
      return;
    }
    this._expanded = expanded;
    this._changed.emit();
    if (expanded) {
      await this.load();
    }
  }

  /** List another organization (empty: those this instance saved to), from its first page. */
  async setNamespace(namespace: string): Promise<void> {
    this._namespace = namespace.trim();
    this._offset = 0;
    await this.load();
  }

  async next(): Promise<void> {
    if (this.hasNext) {
      this._offset += this._limit;
      await this.load();
    }
  }

  async previous(): Promise<void> {
    if (this.hasPrevious) {
      this._offset = Math.max(0, this._offset - this._limit);
      await this.load();
    }
  }

  /** Read ModelArts again now, not the server's cached list. */
  async refresh(): Promise<void> {
    await this.load(true);
  }

  /**
   * The server's list no longer has every image (a save of this page ended): the next read
   * asks it to read ModelArts again, at once when the section is open.
   */
  invalidate(): void {
    this._stale = true;
    if (this._expanded) {
      void this.load();
    }
  }

  /** Read the page; a newer read's answer wins over an older one's. */
  async load(refresh = false): Promise<void> {
    const serial = ++this._serial;
    const again = refresh || this._stale;
    const perGroup = this._perGroup();
    this._stale = false;
    this._pending += 1;
    this._changed.emit();
    try {
      const library = await this._api.list({
        ...(this._namespace && { namespace: this._namespace }),
        limit: this._limit,
        offset: this._offset,
        ...(perGroup !== undefined && { per_group: perGroup }),
        ...(again && { refresh: 'true' as const })
      });
      if (serial !== this._serial) {
        return;
      }
      // A page past the end (images were deleted): go back to the last page.
      if (
        library.groups.length === 0 &&
        library.total_groups > 0 &&
        this._offset > 0
      ) {
        this._offset =
          Math.floor((library.total_groups - 1) / this._limit) * this._limit;
        await this.load();
        return;
      }
      this._library = library;
      this._error = null;
      if (library.namespaces.length === 0 && !this._suggestion) {
        this._suggestion = await this._suggest().catch(() => '');
      }
    } catch (error) {
      if (serial === this._serial) {
        this._error = error instanceof Error ? error.message : String(error);
      }
      if (again) {
        this._stale = true; // not read: read again next time
      }
    } finally {
      this._pending = Math.max(0, this._pending - 1);
      this._changed.emit();
    }
  }

  /** Delete one image (with its SWR content when asked), then show the list without it. */
  async remove(image: ISavedImage, withSwr: boolean): Promise<IDeletedImage> {
    const deleted = await this._api.remove({
      id: image.id,
      namespace: image.namespace,
      with_swr_content: withSwr
    });
    await this.load();
    return deleted;
  }

  /** What keeping the newest `keep` images of a group would delete (nothing is deleted). */
  planPrune(
    group: IImageGroup,
    keep: number,
    withSwr: boolean
  ): Promise<IPruneResult> {
    return this._api.prune({
      name: group.name,
      namespace: group.namespace,
      keep,
      with_swr_content: withSwr,
      dry_run: true
    });
  }

  /**
   * Delete exactly what the dry run listed; the server refuses (409 `list-changed`) if that is
   * no longer the list. The list is read again either way.
   */
  async prune(plan: IPruneResult): Promise<IPruneResult> {
    try {
      return await this._api.prune({
        name: plan.name,
        namespace: plan.namespace,
        keep: plan.keep,
        with_swr_content: plan.with_swr_content,
        dry_run: false,
        ids: plan.delete.map(image => image.id)
      });
    } finally {
      await this.load();
    }
  }

  private _api: ILibraryAPI;
  private _suggest: () => Promise<string>;
  private _changed = new Signal<this, void>(this);
  private _expanded = false;
  private _library: ILibrary | null = null;
  private _namespace = '';
  private _suggestion = '';
  private _offset = 0;
  private _limit: number;
  private _pending = 0;
  private _serial = 0;
  private _stale = false;
  private _error: string | null = null;
  /** The groups shown whole, with how many images each had. */
  private _showAll = new Map<string, number>();
}

function groupKey(group: IImageGroup): string {
  return `${group.namespace}/${group.name}`;
}

export namespace LibraryModel {
  export interface IOptions {
    /** The calls to the server (a stand-in in unit tests). */
    api?: ILibraryAPI;
    /** The organization to offer when this instance has saved to none. */
    suggestNamespace?: () => Promise<string>;
    /** Groups per page. */
    limit?: number;
  }
}
