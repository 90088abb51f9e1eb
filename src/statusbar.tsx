import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CommandIDs } from './ids';
import { JobsModel } from './model';

/**
 * The status bar item shown while a save is unfinished; clicking it opens the panel.
 */
export class SaveStatusItem extends ReactWidget {
  constructor(options: SaveStatusItem.IOptions) {
    super();
    this._options = options;
    this.addClass('jp-ModelArtsSnapshot-statusItem');
  }

  render(): JSX.Element {
    const { model, trans, commands } = this._options;
    return (
      <UseSignal signal={model.changed}>
        {() => {
          const job = model.current;
          if (!job) {
            return <span />;
          }
          const text =
            model.connection === 'paused'
              ? trans.__(
                  'Saving image %1: instance paused',
                  `${job.name}:${job.tag}`
                )
              : trans.__(
                  'Saving image %1: %2',
                  `${job.name}:${job.tag}`,
                  job.status
                );
          return (
            <button
              className="jp-ModelArtsSnapshot-statusButton"
              title={trans.__('Show image snapshots')}
              onClick={() => void commands.execute(CommandIDs.openPanel)}
            >
              {text}
            </button>
          );
        }}
      </UseSignal>
    );
  }

  private _options: SaveStatusItem.IOptions;
}

export namespace SaveStatusItem {
  export interface IOptions {
    model: JobsModel;
    trans: TranslationBundle;
    commands: CommandRegistry;
  }
}
