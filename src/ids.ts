/** The IDs JupyterLab knows this extension's parts by. */

export const PLUGIN_ID = 'jupyterlab-modelarts-snapshot:plugin';

export const PANEL_ID = 'jp-modelarts-snapshot-panel';

export namespace CommandIDs {
  export const save = 'modelarts-snapshot:save';
  export const openPanel = 'modelarts-snapshot:open-panel';
}
