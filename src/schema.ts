/**
 * The settings' words in the page's language. JupyterLab's server translates a settings schema
 * only from the language pack's own catalog, so the Settings Editor would show this extension's
 * titles and descriptions in English: a registry `fetch` transform words them from our catalog
 * (the schema's own title in context "schema", the settings' in context "settings", as
 * jupyterlab-translate extracts them).
 */
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { TranslationBundle } from '@jupyterlab/translation';

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
