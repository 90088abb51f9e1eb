import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Dialog, ICommandPalette, Notification } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';

import { SaveDialogBody, SaveForm } from './form';
import { ChangesView } from './manifest';
import { PreflightView, restPreflightAPI } from './report';
import { SnapshotModel } from './model';
import {
  requestIdText,
  serverMissingMessage,
  SnapshotPanel,
  SnapshotStatus
} from './panel';
import {
  CommandIDs,
  FAILED_STATUSES,
  IJob,
  PANEL_ID,
  PLUGIN_ID
} from './tokens';
import { setPageLanguage } from './request';
import { translateSchema } from './schema';
import { defaultTag } from './validation';

const LAST_NAMESPACE_KEY = `${PLUGIN_ID}:last-namespace`;
const NOTICE_SEEN_KEY = `${PLUGIN_ID}:notice-seen`;

export const snapshotIcon = new LabIcon({
  name: 'modelarts-snapshot:camera',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16"><path class="jp-icon3" fill="#616161" d="M9 3 7.2 5H4a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2h-3.2L15 3H9zm3 5a5 5 0 1 1 0 10 5 5 0 0 1 0-10zm0 2a3 3 0 1 0 0 6 3 3 0 0 0 0-6z"/></svg>'
});

interface ISettings {
  pollInterval: number;
  defaultNamespace: string;
  tagPattern: string;
}

/** Titles of the documents open in the main area with unsaved changes. */
function unsavedDocuments(app: JupyterFrontEnd): string[] {
  const titles: string[] = [];
  for (const widget of app.shell.widgets('main')) {
    const context = (widget as { context?: { model?: { dirty?: boolean } } })
      .context;
    if (context?.model?.dirty) {
      titles.push(widget.title.label);
    }
  }
  return titles;
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Save the running ModelArts notebook instance as an image.',
  autoStart: true,
  optional: [
    ICommandPalette,
    ILayoutRestorer,
    ISettingRegistry,
    IStatusBar,
    IStateDB,
    ITranslator
  ],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    statusBar: IStatusBar | null,
    state: IStateDB | null,
    translator: ITranslator | null
  ) => {
    if (!app.version.startsWith('4.')) {
      // Older ModelArts images run JupyterLab 3: stay out of its page; the CLI and the
      // %modelarts_snapshot magic are the way there.
      console.warn(
        `jupyterlab-modelarts-snapshot needs JupyterLab 4 (this is ${app.version}).`
      );
      return;
    }
    const trans = (translator ?? nullTranslator).load(
      'jupyterlab_modelarts_snapshot'
    );
    setPageLanguage(translator?.languageCode ?? 'en');
    const settings: ISettings = {
      pollInterval: 5,
      defaultNamespace: '',
      tagPattern: '{date}'
    };
    const model = new SnapshotModel({ interval: settings.pollInterval * 1000 });

    const panel = new SnapshotPanel({ model, trans, commands: app.commands });
    panel.id = PANEL_ID;
    panel.title.icon = snapshotIcon;
    panel.title.caption = trans.__('Image snapshots');
    panel.title.label = '';
    app.shell.add(panel, 'right', { rank: 900 });
    restorer?.add(panel, 'modelarts-snapshot');

    const revealPanel = () => app.shell.activateById(PANEL_ID);

    app.commands.addCommand(CommandIDs.openPanel, {
      label: trans.__('Show Image Snapshots'),
      execute: revealPanel
    });

    app.commands.addCommand(CommandIDs.save, {
      // The toolbar button takes its words from here, where they are translated.
      label: args =>
        args.toolbar ? trans.__('Save as image') : trans.__('Save as Image…'),
      caption: trans.__('Save as image'),
      icon: args => (args.toolbar ? snapshotIcon : undefined),
      execute: async () => {
        if (!model.instance) {
          await model.refresh().catch(() => undefined); // the answer decides what follows
        }
        if (model.serverMissing) {
          revealPanel();
          Notification.error(serverMissingMessage(trans), { autoClose: false });
          return;
        }
        const current = model.current;
        if (current) {
          revealPanel();
          Notification.warning(
            trans.__(
              'Image %1 is still being saved; wait until it ends.',
              `${current.name}:${current.tag}`
            ),
            { autoClose: 5000 }
          );
          return;
        }
        if (model.instance && !model.instance.ready) {
          revealPanel();
          Notification.error(
            trans.__(
              'This server cannot save an image yet: %1',
              model.instance.problems.join(' ')
            )
          );
          return;
        }
        const lastNamespace = (await state?.fetch(LAST_NAMESPACE_KEY)) as
          string | undefined;
        const noticeSeen = Boolean(await state?.fetch(NOTICE_SEEN_KEY));
        const form = new SaveForm({
          trans,
          initial: {
            namespace: lastNamespace || settings.defaultNamespace,
            tag: defaultTag(settings.tagPattern)
          },
          showNotice: !noticeSeen
        });
        const report = new PreflightView({
          trans,
          api: restPreflightAPI,
          unsaved: () => unsavedDocuments(app),
          saveAll: async () => {
            await app.commands.execute('docmanager:save-all');
          },
          onUseTag: tag => form.setValue('tag', tag)
        });
        const result = await new Dialog({
          title: trans.__('Save as image'),
          body: new SaveDialogBody(form, report, new ChangesView(trans)),
          buttons: [
            Dialog.cancelButton({ label: trans.__('Cancel') }),
            Dialog.okButton({ label: trans.__('Save') })
          ]
        }).launch();
        if (!result.button.accept || !result.value) {
          return;
        }
        // Older JupyterLab dialogs do not block an invalid form: check again.
        const problem = form.firstProblem;
        if (problem) {
          Notification.error(problem);
          return;
        }
        let job: IJob;
        try {
          job = await model.save(result.value);
        } catch {
          const failure = model.saveError;
          const message = trans.__(
            'The save did not start: %1',
            failure?.message ?? ''
          );
          Notification.error(
            failure?.requestId
              ? `${message} ${requestIdText(trans, failure.requestId)}`
              : message
          );
          revealPanel();
          return;
        }
        void state?.save(LAST_NAMESPACE_KEY, job.namespace);
        void state?.save(NOTICE_SEEN_KEY, true);
        revealPanel();
        Notification.info(
          trans.__(
            'Saving image %1. The instance pauses while ModelArts saves it; JupyterLab reconnects by itself.',
            `${job.name}:${job.tag}`
          ),
          { autoClose: 8000 }
        );
      }
    });
    palette?.addItem({
      command: CommandIDs.save,
      category: trans.__('ModelArts')
    });
    palette?.addItem({
      command: CommandIDs.openPanel,
      category: trans.__('ModelArts')
    });

    statusBar?.registerStatusItem('modelarts-snapshot:status', {
      item: new SnapshotStatus({ model, trans, commands: app.commands }),
      align: 'left',
      rank: 10,
      isActive: () => model.current !== null,
      activeStateChanged: model.changed
    });

    model.finished.connect((_, job) => {
      const image = `${job.name}:${job.tag}`;
      if (job.status === 'ACTIVE') {
        Notification.success(
          trans.__('Image %1 is saved: %2', image, job.swr_path ?? ''),
          { autoClose: false }
        );
      } else if (FAILED_STATUSES.includes(job.status)) {
        Notification.error(
          trans.__(
            'Saving image %1 failed: %2',
            image,
            job.status_message || job.status
          ),
          { autoClose: false }
        );
      }
    });

    if (settingRegistry) {
      // The schema asks the registry to wait for this ("jupyter.lab.transform").
      settingRegistry.transform(PLUGIN_ID, {
        fetch: loaded => translateSchema(loaded, trans)
      });
      const apply = (loaded: ISettingRegistry.ISettings) => {
        settings.pollInterval = loaded.get('pollInterval').composite as number;
        settings.defaultNamespace = loaded.get('defaultNamespace')
          .composite as string;
        settings.tagPattern = loaded.get('tagPattern').composite as string;
        model.interval = settings.pollInterval * 1000;
      };
      settingRegistry
        .load(PLUGIN_ID)
        .then(loaded => {
          apply(loaded);
          loaded.changed.connect(apply);
        })
        .catch(reason =>
          console.error('modelarts-snapshot: settings not loaded', reason)
        );
    }
  }
};

export default plugin;
