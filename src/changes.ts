/**
 * What a save adds compared with its parent image, in words: a line for the history, and the
 * Save dialog's view with the lists and the lineage.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { getManifestNow } from './api';
import { element } from './dom';
import {
  IChangesSummary,
  ILineageEntry,
  IManagerChanges,
  IManifestNow
} from './types';
import { Manager, MANAGERS } from './generated/vocabulary';

/** One manager's part of the changes (an open object in openapi.json; see `IManagerChanges`). */
function managerChanges(
  changes: IManifestNow['changes'] | undefined,
  manager: Manager
): IManagerChanges | undefined {
  return changes?.[manager] as IManagerChanges | undefined;
}

/**
 * (`_n` gives the count as %1, the arguments after it as %2 and on.)
 * "+12 pip packages, 3 upgraded (torch 2.1.0 → 2.3.1), +2 apt packages": what a save adds
 * compared with its parent, per manager; `changes` adds examples of upgrades.
 */
export function changesText(
  summary: IChangesSummary,
  trans: TranslationBundle,
  changes?: IManifestNow['changes']
): string {
  const parts: string[] = [];
  for (const manager of MANAGERS) {
    const counts = summary[manager];
    const words: string[] = [];
    if (counts.added > 0) {
      words.push(
        trans._n('+%1 %2 package', '+%1 %2 packages', counts.added, manager)
      );
    }
    if (counts.changed > 0) {
      const examples = (managerChanges(changes, manager)?.changed ?? [])
        .slice(0, 2)
        .map(item => `${item.name} ${item.old} → ${item.new}`)
        .join(', ');
      const upgraded = trans._n(
        '%1 %2 package changed',
        '%1 %2 packages changed',
        counts.changed,
        manager
      );
      words.push(examples ? `${upgraded} (${examples})` : upgraded);
    }
    if (counts.removed > 0) {
      words.push(
        trans._n(
          '%1 %2 package removed',
          '%1 %2 packages removed',
          counts.removed,
          manager
        )
      );
    }
    parts.push(...words);
  }
  return parts.length > 0
    ? parts.join(', ')
    : trans.__('No package added, changed or removed');
}

/**
 * In the Save dialog: what the image will add compared with its parent, expandable to the
 * lists, and the lineage as a short chain with the depth warning.
 */
export class ChangesView extends Widget {
  constructor(
    private readonly trans: TranslationBundle,
    private readonly load: () => Promise<IManifestNow> = getManifestNow
  ) {
    super();
    this.addClass('jp-ModelArtsSnapshot-changes');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute(
      'aria-label',
      trans.__('What the image adds to its parent')
    );
    this.node.textContent = trans.__('Reading the installed packages…');
    void this.refresh();
  }

  async refresh(): Promise<void> {
    const trans = this.trans;
    let now: IManifestNow;
    try {
      now = await this.load();
    } catch (error) {
      this.node.textContent = trans.__(
        'The installed packages could not be read: %1',
        (error as Error).message
      );
      return;
    }
    const details = element('details', '');
    const compared =
      now.changes.parent === 'lineage'
        ? trans.__('Compared with the image this instance runs on:')
        : trans.__('Compared with this container at its start:');
    details.append(
      element(
        'summary',
        'jp-ModelArtsSnapshot-changesSummary',
        `${compared} ${changesText(now.summary, trans, now.changes)}`
      )
    );
    for (const manager of MANAGERS) {
      const part = managerChanges(now.changes, manager);
      if (!part) {
        continue;
      }
      const rows = [
        ...part.added.map(item => `+ ${item.name} ${item.version}`),
        ...part.changed.map(item => `~ ${item.name} ${item.old} → ${item.new}`),
        ...part.removed.map(item => `− ${item.name} ${item.version}`)
      ];
      if (rows.length > 0) {
        const list = element('ul', 'jp-ModelArtsSnapshot-items');
        list.setAttribute('aria-label', manager);
        rows.forEach(row =>
          list.append(element('li', '', `${manager} ${row}`))
        );
        details.append(list);
      }
    }
    const chain = [
      ...(now.lineage as ILineageEntry[]).slice(-3).map(entry => entry.label),
      trans.__('this save')
    ];
    const lineage = element(
      'p',
      'jp-ModelArtsSnapshot-lineage',
      trans._n(
        'Lineage (%1 save): %2',
        'Lineage (%1 saves): %2',
        now.depth,
        chain.join(' → ')
      )
    );
    this.node.replaceChildren(details, lineage);
    if (now.depth >= now.warn_depth) {
      this.node.append(
        element(
          'p',
          'jp-ModelArtsSnapshot-lineageWarning',
          trans.__(
            'Each save adds layers; rebuilding from the Dockerfile of the last save resets them.'
          )
        )
      );
    }
  }
}
