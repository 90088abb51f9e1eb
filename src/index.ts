import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Dialog, ICommandPalette, Notification } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { requestAPI } from './request';

const COMMAND = 'modelarts-snapshot:save';
const FIELDS = ['name', 'namespace', 'tag', 'description'] as const;

/**
 * A minimal form: the next iteration replaces it with a validated form and a status panel.
 */
class SaveForm extends Widget {
  constructor(labels: Record<string, string>) {
    super();
    this.addClass('jp-ModelArtsSnapshot-form');
    const today = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    for (const field of FIELDS) {
      const label = document.createElement('label');
      label.textContent = labels[field];
      const input = document.createElement('input');
      input.name = field;
      input.value = field === 'tag' ? today : '';
      label.appendChild(input);
      this.node.appendChild(label);
    }
  }

  getValue(): Record<string, string> {
    const value: Record<string, string> = {};
    this.node.querySelectorAll('input').forEach(input => {
      if (input.value) {
        value[input.name] = input.value;
      }
    });
    return value;
  }
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-modelarts-snapshot:plugin',
  description: 'Save the running ModelArts notebook instance as an image.',
  autoStart: true,
  optional: [ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load(
      'jupyterlab_modelarts_snapshot'
    );
    app.commands.addCommand(COMMAND, {
      label: trans.__('Save as Image…'),
      caption: trans.__('Save this notebook instance as a container image'),
      execute: async () => {
        const form = new SaveForm({
          name: trans.__('Name'),
          namespace: trans.__('Namespace'),
          tag: trans.__('Tag'),
          description: trans.__('Description')
        });
        const result = await new Dialog({
          title: trans.__('Save as image'),
          body: form,
          buttons: [
            Dialog.cancelButton({ label: trans.__('Cancel') }),
            Dialog.okButton({ label: trans.__('Save') })
          ]
        }).launch();
        if (!result.button.accept || !result.value) {
          return;
        }
        try {
          const job = await requestAPI<{ id: string; name: string }>('images', {
            method: 'POST',
            body: JSON.stringify(result.value)
          });
          Notification.info(
            trans.__('Saving image %1 (ID %2).', job.name, job.id),
            { autoClose: 5000 }
          );
        } catch (error) {
          const message =
            error instanceof ServerConnection.ResponseError
              ? error.message
              : String(error);
          Notification.error(trans.__('The save did not start: %1', message));
        }
      }
    });
    palette?.addItem({ command: COMMAND, category: trans.__('ModelArts') });
  }
};

export default plugin;
