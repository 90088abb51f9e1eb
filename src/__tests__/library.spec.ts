/**
 * The library model: it reads a page of groups when the section opens (never by itself), asks
 * for a fresh read only when told, pages over groups, and deletes exactly what was confirmed.
 */
import { nullTranslator } from '@jupyterlab/translation';

import { ILibraryAPI } from '../api';
import {
  deletedText,
  deleteRefusal,
  imageLabel,
  keepProblem,
  LibraryModel,
  prunedText
} from '../library';
import {
  IDeletedImage,
  IDeleteImageRequest,
  IImageGroup,
  ILibrary,
  ILibraryQuery,
  IPruneRequest,
  IPruneResult,
  ISavedImage
} from '../types';

const trans = nullTranslator.load('jupyterlab_modelarts_snapshot');

function image(fields: Partial<ISavedImage> = {}): ISavedImage {
  return {
    id: '00000000-0000-0000-0000-000000000001',
    name: 'env',
    namespace: 'team',
    tag: 'v1',
    status: 'ACTIVE',
    size_kb: 1024,
    created_at: '2024-05-01T10:00:00Z',
    swr_path: 'swr.example.com/team/env:v1',
    from_this_instance: false,
    runs_now: false,
    starts_next: false,
    ...fields
  };
}

/** A server with `groups` groups of 3 images each in organization "team". */
class ScriptedLibrary implements ILibraryAPI {
  constructor(public groupCount = 25) {
    for (let g = 0; g < groupCount; g++) {
      this.groups.push({
        name: `env-${g}`,
        namespace: 'team',
        total: 3,
        images: [0, 1, 2].map(i =>
          image({
            id: `00000000-0000-0000-0000-${String(g * 10 + i).padStart(12, '0')}`,
            name: `env-${g}`,
            tag: `v${3 - i}`
          })
        )
      });
    }
  }
  groups: IImageGroup[] = [];
  namespaces = ['team'];
  queries: ILibraryQuery[] = [];
  removed: IDeleteImageRequest[] = [];
  pruned: IPruneRequest[] = [];
  /** Answers held back until released, to answer out of order. */
  hold = false;
  held: Array<() => void> = [];

  async list(query: ILibraryQuery): Promise<ILibrary> {
    this.queries.push(query);
    if (this.hold) {
      await new Promise<void>(resolve => this.held.push(resolve));
    }
    const namespaces = query.namespace ? [query.namespace] : this.namespaces;
    const groups = this.groups.filter(group =>
      namespaces.includes(group.namespace)
    );
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 20;
    const perGroup = query.per_group ?? 10;
    return {
      namespaces,
      groups: groups.slice(offset, offset + limit).map(group => ({
        ...group,
        images: group.images.slice(0, perGroup),
        total: group.images.length
      })),
      total_groups: groups.length,
      total_images: groups.reduce((n, group) => n + group.images.length, 0),
      limit,
      offset,
      fetched_at: namespaces.length ? '2024-05-01T10:00:00Z' : null
    };
  }

  async remove(body: IDeleteImageRequest): Promise<IDeletedImage> {
    this.removed.push(body);
    for (const group of this.groups) {
      group.images = group.images.filter(item => item.id !== body.id);
    }
    this.groups = this.groups.filter(group => group.images.length > 0);
    const gone = { name: 'env', namespace: body.namespace, tag: 'v1' };
    return {
      id: body.id,
      ...gone,
      swr_content: body.with_swr_content ? 'deleted' : 'kept',
      force: body.with_swr_content ? 'query' : null
    };
  }

  async prune(body: IPruneRequest): Promise<IPruneResult> {
    this.pruned.push(body);
    const group = this.groups.find(item => item.name === body.name);
    const images = group?.images ?? [];
    const result: IPruneResult = {
      name: body.name,
      namespace: body.namespace,
      keep: body.keep,
      with_swr_content: body.with_swr_content ?? false,
      dry_run: body.dry_run ?? true,
      kept: images.slice(0, body.keep),
      delete: images.slice(body.keep),
      refused: [],
      deleted: [],
      failed: []
    };
    if (!result.dry_run) {
      result.deleted = result.delete.map(item => ({
        id: item.id,
        name: item.name,
        namespace: item.namespace,
        tag: item.tag,
        swr_content: 'kept',
        force: null,
        swr_error: null
      }));
      if (group) {
        group.images = result.kept;
      }
    }
    return result;
  }
}

describe('LibraryModel', () => {
  it('reads nothing until the section opens, then one page of groups', async () => {
    const api = new ScriptedLibrary();
    const model = new LibraryModel({ api });
    expect(api.queries).toEqual([]);
    await model.setExpanded(true);
    expect(api.queries).toEqual([{ limit: 10, offset: 0 }]);
    expect(model.library?.groups).toHaveLength(10);
    expect(model.library?.total_groups).toBe(25);
    // Closing reads nothing; opening again reads the server's (cached) list, not ModelArts.
    await model.setExpanded(false);
    await model.setExpanded(true);
    expect(api.queries).toEqual([
      { limit: 10, offset: 0 },
      { limit: 10, offset: 0 }
    ]);
  });

  it('asks the server to read ModelArts again only on Refresh', async () => {
    const api = new ScriptedLibrary();
    const model = new LibraryModel({ api });
    await model.setExpanded(true);
    await model.refresh();
    expect(api.queries[1]).toEqual({ limit: 10, offset: 0, refresh: 'true' });
    await model.load();
    expect(api.queries[2].refresh).toBeUndefined();
  });

  it('pages over groups, and lists another organization from its first page', async () => {
    const api = new ScriptedLibrary();
    const model = new LibraryModel({ api });
    await model.setExpanded(true);
    expect(model.hasPrevious).toBe(false);
    expect(model.hasNext).toBe(true);
    await model.next();
    await model.next();
    expect(model.offset).toBe(20);
    expect(model.library?.groups.map(group => group.name)).toEqual([
      'env-20',
      'env-21',
      'env-22',
      'env-23',
      'env-24'
    ]);
    expect(model.hasNext).toBe(false);
    await model.next(); // nothing after the last page
    expect(api.queries).toHaveLength(3);
    await model.previous();
    expect(model.offset).toBe(10);

    await model.setNamespace('  other-org ');
    expect(api.queries[api.queries.length - 1]).toEqual({
      namespace: 'other-org',
      limit: 10,
      offset: 0
    });
    expect(model.namespace).toBe('other-org');
    expect(model.library?.groups).toEqual([]);
  });

  it('offers an organization to list when this instance has saved to none', async () => {
    const api = new ScriptedLibrary();
    api.namespaces = [];
    const model = new LibraryModel({
      api,
      suggestNamespace: async () => 'team'
    });
    await model.setExpanded(true);
    expect(model.library?.namespaces).toEqual([]);
    expect(model.suggestion).toBe('team');
    await model.setNamespace(model.suggestion);
    expect(model.library?.total_groups).toBe(25);
  });

  it('shows the answer of the newest read, whatever order the answers come in', async () => {
    const api = new ScriptedLibrary();
    const model = new LibraryModel({ api });
    api.hold = true;
    const first = model.setExpanded(true);
    const second = model.setNamespace('other-org');
    expect(model.loading).toBe(true);
    api.held[1]();
    await second;
    api.held[0]();
    await first;
    expect(model.library?.namespaces).toEqual(['other-org']);
    expect(model.loading).toBe(false);
  });

  it('says why a read failed, and reads again after', async () => {
    const api = new ScriptedLibrary();
    const list = api.list.bind(api);
    api.list = async () => {
      throw new Error('ModelArts did not answer.');
    };
    const model = new LibraryModel({ api });
    await model.setExpanded(true);
    expect(model.error).toBe('ModelArts did not answer.');
    api.list = list;
    await model.refresh();
    expect(model.error).toBeNull();
    expect(model.library?.total_groups).toBe(25);
  });

  it('reads ModelArts again after a save ended, at once when the section is open', async () => {
    const api = new ScriptedLibrary();
    const model = new LibraryModel({ api });
    model.invalidate(); // closed: nothing now
    expect(api.queries).toEqual([]);
    await model.setExpanded(true);
    expect(api.queries[0].refresh).toBe('true');
    model.invalidate();
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(api.queries[1].refresh).toBe('true');
    await model.load();
    expect(api.queries[2].refresh).toBeUndefined();
  });

  it('deletes the registration only unless the SWR content is chosen, then shows the list without it', async () => {
    const api = new ScriptedLibrary(1);
    const model = new LibraryModel({ api });
    await model.setExpanded(true);
    const [first, second] = model.library!.groups[0].images;
    const kept = await model.remove(first, false);
    expect(api.removed[0]).toEqual({
      id: first.id,
      namespace: 'team',
      with_swr_content: false
    });
    expect(kept.swr_content).toBe('kept');
    expect(model.library?.total_images).toBe(2);
    await model.remove(second, true);
    expect(api.removed[1].with_swr_content).toBe(true);
    expect(api.queries).toHaveLength(3);
  });

  it('goes back a page when a delete empties the last one', async () => {
    const api = new ScriptedLibrary(11);
    const model = new LibraryModel({ api });
    await model.setExpanded(true);
    await model.next();
    const last = model.library!.groups[0];
    for (const item of [...last.images]) {
      await model.remove(item, false);
    }
    expect(model.offset).toBe(0);
    expect(model.library?.groups).toHaveLength(10);
  });

  it('prunes exactly the images the dry run listed', async () => {
    const api = new ScriptedLibrary(1);
    const model = new LibraryModel({ api });
    await model.setExpanded(true);
    const group = model.library!.groups[0];
    const plan = await model.planPrune(group, 1, true);
    expect(api.pruned[0]).toEqual({
      name: 'env-0',
      namespace: 'team',
      keep: 1,
      with_swr_content: true,
      dry_run: true
    });
    expect(plan.delete.map(item => item.tag)).toEqual(['v2', 'v1']);
    const done = await model.prune(plan);
    expect(api.pruned[1]).toEqual({
      name: 'env-0',
      namespace: 'team',
      keep: 1,
      with_swr_content: true,
      dry_run: false,
      ids: plan.delete.map(item => item.id)
    });
    expect(done.deleted).toHaveLength(2);
    expect(model.library?.total_images).toBe(1);
  });

  it('reads the list again when a prune is refused', async () => {
    const api = new ScriptedLibrary(1);
    const model = new LibraryModel({ api });
    await model.setExpanded(true);
    const plan = await model.planPrune(model.library!.groups[0], 1, false);
    api.prune = async () => {
      throw new Error('The images to delete are no longer the ones listed.');
    };
    await expect(model.prune(plan)).rejects.toThrow('no longer');
    expect(api.queries).toHaveLength(2);
  });

  it('shows the newest images of a group until asked for all, then asks for them', async () => {
    const api = new ScriptedLibrary(2);
    const many = api.groups[1];
    many.images = Array.from({ length: 25 }, (_, i) =>
      image({ id: `many-${i}`, name: many.name, tag: `t${25 - i}` })
    );
    const model = new LibraryModel({ api });
    await model.setExpanded(true);
    let group = model.library!.groups[1];
    expect(group.images).toHaveLength(10);
    expect(group.total).toBe(25);
    expect(model.showsAll(group)).toBe(false);
    await model.setShowAll(group, true);
    expect(model.showsAll(group)).toBe(true);
    expect(api.queries[1].per_group).toBe(25);
    group = model.library!.groups[1];
    expect(group.images).toHaveLength(25);
    // A small group shown whole asks for nothing more.
    await model.setShowAll(model.library!.groups[0], true);
    expect(api.queries).toHaveLength(2);
    await model.setShowAll(group, false);
    await model.load();
    expect(api.queries[2].per_group).toBeUndefined();
  });
});

describe('the library in words', () => {
  it('disables Delete for what the server would refuse, saying why', () => {
    expect(deleteRefusal(image(), trans)).toBeNull();
    expect(deleteRefusal(image({ status: 'CREATE_FAILED' }), trans)).toBeNull();
    expect(deleteRefusal(image({ runs_now: true }), trans)).toContain(
      'This instance runs from this image'
    );
    expect(deleteRefusal(image({ starts_next: true }), trans)).toContain(
      'The next start of this instance runs from this image'
    );
    for (const status of ['INIT', 'CREATING']) {
      expect(deleteRefusal(image({ status }), trans)).toContain(
        'still being saved'
      );
    }
  });

  it('names an image namespace/name:tag', () => {
    expect(imageLabel(image())).toBe('team/env:v1');
  });

  it('says what a delete took, from swr_content', () => {
    const deleted: IDeletedImage = {
      id: 'a',
      name: 'env',
      namespace: 'team',
      tag: 'v1',
      swr_content: 'kept',
      force: null,
      swr_error: null
    };
    expect(deletedText(deleted, trans)).toBe(
      'Deleted the ModelArts registration of team/env:v1. Its SWR image stays and keeps using the organization’s storage.'
    );
    for (const swr of ['deleted', 'deleted-with-registration'] as const) {
      expect(
        deletedText({ ...deleted, swr_content: swr, force: 'query' }, trans)
      ).toBe(
        'Deleted team/env:v1: its ModelArts registration and its SWR image with its storage.'
      );
    }
  });

  it('says what a prune took', () => {
    const result: IPruneResult = {
      name: 'env',
      namespace: 'team',
      keep: 2,
      with_swr_content: false,
      dry_run: false,
      kept: [],
      delete: [],
      refused: [],
      deleted: [],
      failed: []
    };
    expect(prunedText(result, trans)).toContain('(their SWR images stay)');
    expect(prunedText({ ...result, with_swr_content: true }, trans)).toContain(
      'with their SWR images and storage'
    );
    const image = {
      id: 'b',
      name: 'env',
      namespace: 'team',
      tag: 'v0',
      status: 'ACTIVE',
      size_kb: null,
      created_at: null,
      swr_path: null,
      from_this_instance: false,
      runs_now: false,
      starts_next: false
    };
    const failed = {
      image,
      reason: 'failed' as const,
      message: 'ModelArts did not answer.'
    };
    expect(prunedText({ ...result, failed: [failed] }, trans)).toContain(
      'Not deleted: team/env:v0: ModelArts did not answer.'
    );
  });

  it('says when SWR kept an image whose registration went', () => {
    const deleted: IDeletedImage = {
      id: 'a',
      name: 'env',
      namespace: 'team',
      tag: 'v1',
      swr_content: 'failed',
      force: 'query',
      swr_error: 'SWR refused: delete it in SWR.'
    };
    expect(deletedText(deleted, trans)).toBe('SWR refused: delete it in SWR.');
  });

  it('accepts a whole number of images to keep from 1 to 1000', () => {
    expect(keepProblem('3', trans)).toBeNull();
    expect(keepProblem('1000', trans)).toBeNull();
    for (const value of ['0', '1001', '2.5', '', 'a', '-1']) {
      expect(keepProblem(value, trans)).toContain('whole number');
    }
  });
});
