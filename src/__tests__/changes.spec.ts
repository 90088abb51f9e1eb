/**
 * @jest-environment jsdom
 *
 * What a save adds, in words: the counts per package manager, with examples of upgrades.
 */
import './dom-shims';
import { nullTranslator } from '@jupyterlab/translation';

import { changesText } from '../changes';
import { IManifestNow } from '../types';

const trans = nullTranslator.load('jupyterlab');
const none = { added: 0, removed: 0, changed: 0 };

describe('changesText', () => {
  it('counts each manager and names upgrades', () => {
    const changes = {
      parent: 'baseline',
      pip: {
        added: [],
        removed: [],
        changed: [{ env: '/e', name: 'torch', old: '2.1.0', new: '2.3.1' }]
      },
      conda: { added: [], removed: [], changed: [] },
      apt: { added: [], removed: [], changed: [] }
    } as IManifestNow['changes'];
    const text = changesText(
      {
        pip: { added: 12, removed: 1, changed: 3 },
        conda: none,
        apt: { added: 1, removed: 0, changed: 0 }
      },
      trans,
      changes
    );
    expect(text).toBe(
      '+12 pip packages, 3 pip packages changed (torch 2.1.0 → 2.3.1), 1 pip package removed, +1 apt package'
    );
  });

  it('says when nothing changed', () => {
    expect(changesText({ pip: none, conda: none, apt: none }, trans)).toBe(
      'No package added, changed or removed'
    );
  });
});
