/**
 * The plugin: it connects the parts (the jobs model, the panel, the status bar item, the
 * commands and the settings) and does nothing else.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { setPageLanguage, setServiceConnection } from './api';
import {
  addCommands,
  LAST_NAMESPACE_KEY,
  notifyWhenSavesEnd
} from './commands';
import { saveIcon } from './icons';
import { PANEL_ID, PLUGIN_ID } from './ids';
import { LeaseModel } from './lease';
import { LeaseStatusItem, warnBeforeStop } from './leaseview';
import { LibraryModel } from './library';
import { JobsModel } from './model';
import { JobsPanel } from './panel';
import { DEFAULT_SETTINGS, watchSettings } from './settings';
import { SaveStatusItem } from './statusbar';
import {
  hideServiceKernel,
  KernelTransport,
  ServiceConnection
} from './transport';

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

    // REST when the server extension is loaded; otherwise the service kernel, which is never
    // offered as a kernel for a notebook.
    hideServiceKernel(app.serviceManager.kernelspecs);
    const connection = new ServiceConnection({
      kernel: new KernelTransport({
        sessions: app.serviceManager.sessions,
        sessionName: trans.__('ModelArts snapshot service')
      })
    });
    setServiceConnection(connection);

    const model = new JobsModel({
      interval: DEFAULT_SETTINGS.pollInterval * 1000
    });
    const settings = watchSettings(settingRegistry, trans, current => {
      model.interval = current.pollInterval * 1000;
    });

    // The lease is read once the server is ready to save (it needs the same IDs and keys).
    const lease = new LeaseModel({ autoStart: false });
    model.changed.connect(() => {
      if (model.readiness?.ready && !model.serverMissing) {
        lease.start();
      }
    });
    // The saved images, read when their section opens; a save that ends adds one to them.
    const library = new LibraryModel({
      suggestNamespace: async () =>
        ((await state?.fetch(LAST_NAMESPACE_KEY)) as string | undefined) ||
        settings.defaultNamespace
    });
    model.finished.connect((_, job) => {
      if (job.status === 'ACTIVE') {
        library.invalidate();
      }
    });
    const panel = new JobsPanel({
      model,
      trans,
      commands: app.commands,
      connection,
      lease,
      library
    });
    panel.id = PANEL_ID;
    panel.title.icon = saveIcon;
    panel.title.caption = trans.__('Image snapshots');
    panel.title.label = '';
    app.shell.add(panel, 'right', { rank: 900 });
    restorer?.add(panel, 'modelarts-snapshot');

    statusBar?.registerStatusItem('modelarts-snapshot:status', {
      item: new SaveStatusItem({ model, trans, commands: app.commands }),
      align: 'left',
      rank: 10,
      isActive: () => model.current !== null,
      activeStateChanged: model.changed
    });

    statusBar?.registerStatusItem('modelarts-snapshot:lease', {
      item: new LeaseStatusItem({ lease, trans, commands: app.commands }),
      align: 'left',
      rank: 11,
      isActive: () => lease.nearStop,
      activeStateChanged: lease.changed
    });

    addCommands(app, { model, trans, settings, state, palette });
    warnBeforeStop(lease, trans, app.commands);
    notifyWhenSavesEnd(model, trans);
  }
};

export default plugin;
