/**
 * The extension's settings (`schema/plugin.json`): read from the registry and kept current,
 * and worded in the page's language for the Settings Editor.
 */
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { TranslationBundle } from '@jupyterlab/translation';

import { PLUGIN_ID } from './ids';

export interface ISettings {
  /** Seconds between polls while a save is unfinished. */
  pollInterval: number;
  /** The organization the form offers when this page has saved none yet. */
  defaultNamespace: string;
  /** The default tag: `{date}`, `{time}` and `{datetime}` are filled in. */
  tagPattern: string;
}

/** The schema's defaults. */
export const DEFAULT_SETTINGS: Readonly<ISettings> = {
  pollInterval: 5,
  defaultNamespace: '',
  tagPattern: '{date}'
};

/**
 * The settings, kept current: the schema's defaults until the registry has loaded them, and
 * `onChange` after each load or change. Without a registry, the defaults stay.
 */
export function watchSettings(
  registry: ISettingRegistry | null,
  trans: TranslationBundle,
  onChange: (settings: ISettings) => void
): ISettings {
  const settings: ISettings = { ...DEFAULT_SETTINGS };
  if (!registry) {
    return settings;
  }
  // The schema asks the registry to wait for this ("jupyter.lab.transform").
  registry.transform(PLUGIN_ID, {
    fetch: loaded => translateSchema(loaded, trans)
  });
  const apply = (loaded: ISettingRegistry.ISettings) => {
    settings.pollInterval = loaded.get('pollInterval').composite as number;
    settings.defaultNamespace = loaded.get('defaultNamespace')
      .composite as string;
    settings.tagPattern = loaded.get('tagPattern').composite as string;
    onChange(settings);
  };
  registry
    .load(PLUGIN_ID)
    .then(loaded => {
      apply(loaded);
      loaded.changed.connect(apply);
    })
    .catch(reason =>
      console.error('modelarts-snapshot: settings not loaded', reason)
    );
  return settings;
}

/**
 * The settings' words in the page's language. JupyterLab's server translates a settings schema
 * only from the language pack's own catalog, so the Settings Editor would show this extension's
 * titles and descriptions in English: a registry `fetch` transform words them from our catalog
 * (the schema's own title in context "schema", the settings' in context "settings", as
 * jupyterlab-translate extracts them).
 */
export function translateSchema(
  plugin: ISettingRegistry.IPlugin,
  trans: TranslationBundle
): ISettingRegistry.IPlugin {
  const schema = { ...plugin.schema };
  if (schema.title) {
    schema.title = trans._p('schema', schema.title);
  }
  if (schema.description) {
    schema.description = trans._p('schema', schema.description);
  }
  const properties: ISettingRegistry.ISchema['properties'] = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    properties[name] = {
      ...property,
      ...(property.title && { title: trans._p('settings', property.title) }),
      ...(property.description && {
        description: trans._p('settings', property.description)
      })
    };
  }
  schema.properties = properties;
  return { ...plugin, schema };
}
