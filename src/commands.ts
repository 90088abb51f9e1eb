/**
 * The commands: "Save as image" (the form and the pre-flight report in a dialog, then the save)
 * and showing the panel; and what the page tells the person when a save ends.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, ICommandPalette, Notification } from '@jupyterlab/apputils';
import { IStateDB } from '@jupyterlab/statedb';
import { TranslationBundle } from '@jupyterlab/translation';

import { ApiError } from './api';
import { ChangesView } from './changes';
import { SaveDialogBody, SaveForm } from './form';
import { requestIdText, unavailableMessage } from './format';
import { saveIcon } from './icons';
import { CommandIDs, PANEL_ID, PLUGIN_ID } from './ids';
import { JobsModel } from './model';
import { PreflightView } from './preflight';
import { ISettings } from './settings';
import { IJob } from './types';
import { defaultTag } from './validation';
import { FAILED } from './generated/vocabulary';

/** The organization of this page's last save, offered in the next form and the library. */
export const LAST_NAMESPACE_KEY = `${PLUGIN_ID}:last-namespace`;
/** Whether the form's notice about the pause has been seen (a save was started). */
const NOTICE_SEEN_KEY = `${PLUGIN_ID}:notice-seen`;

export interface ICommandsOptions {
  model: JobsModel;
  trans: TranslationBundle;
  /** The settings, kept current (`watchSettings`). */
  settings: ISettings;
  state: IStateDB | null;
  palette: ICommandPalette | null;
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

/** Add the commands, and put them in the palette. */
export function addCommands(
  app: JupyterFrontEnd,
  options: ICommandsOptions
): void {
  const { model, trans, settings, state, palette } = options;
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
    icon: args => (args.toolbar ? saveIcon : undefined),
    execute: async () => {
      if (!model.readiness) {
        await model.refresh().catch(() => undefined); // the answer decides what follows
      }
      if (model.serverMissing) {
        revealPanel();
        Notification.error(unavailableMessage(trans, model.kernelError), {
          autoClose: false
        });
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
      if (model.readiness && !model.readiness.ready) {
        revealPanel();
        Notification.error(
          trans.__(
            'This server cannot save an image yet: %1',
            model.readiness.problems.join(' ')
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
      const preflight = new PreflightView({
        trans,
        unsaved: () => unsavedDocuments(app),
        saveAll: async () => {
          await app.commands.execute('docmanager:save-all');
        },
        onUseTag: tag => form.setValue('tag', tag),
        onSaveNow: () => dialog.resolve(1)
      });
      const dialog = new Dialog({
        title: trans.__('Save as image'),
        body: new SaveDialogBody(form, preflight, new ChangesView(trans)),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          Dialog.okButton({ label: trans.__('Save') })
        ]
      });
      const result = await dialog.launch();
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
      } catch (error) {
        const message = trans.__(
          'The save did not start: %1',
          error instanceof Error ? error.message : String(error)
        );
        Notification.error(
          error instanceof ApiError && error.requestId
            ? `${message} ${requestIdText(trans, error.requestId)}`
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

  for (const command of [CommandIDs.save, CommandIDs.openPanel]) {
    palette?.addItem({ command, category: trans.__('ModelArts') });
  }
}

/** Tell the person when a save ends: the image's path, or why it failed. */
export function notifyWhenSavesEnd(
  model: JobsModel,
  trans: TranslationBundle
): void {
  model.finished.connect((_, job) => {
    const image = `${job.name}:${job.tag}`;
    if (job.status === 'ACTIVE') {
      Notification.success(
        trans.__('Image %1 is saved: %2', image, job.swr_path ?? ''),
        { autoClose: false }
      );
    } else if (FAILED.includes(job.status)) {
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
}
