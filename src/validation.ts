/**
 * The input rules of a save in the browser: the server's own (`rules.json`, generated into
 * `rules.ts`), and what to say when a value breaks one. The shared table
 * `tests/validation-cases.json` is run against both the server and this.
 */
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';

import { RULES } from './generated/rules';

/** The fields of the Save form (without one, `workspace_id` is the server's setting). */
export type Field = 'name' | 'namespace' | 'tag' | 'description';

function hint(field: Field, trans: TranslationBundle): string {
  switch (field) {
    case 'name':
      return trans.__(
        "Use 1 to 128 lowercase letters, digits, '-', '_' or '.', starting and ending with a lowercase letter or digit, for example 'pytorch-env'."
      );
    case 'namespace':
      return trans.__(
        "Use your SWR organization: 1 to 64 characters, starting with a lowercase letter, then letters, digits, '-', '_' or '.'."
      );
    case 'tag':
      return trans.__(
        "Use up to 64 letters, digits, '_', '.' or '-', not starting with '.' or '-', for example '20221223' or 'v1.0'."
      );
    case 'description':
      return trans.__('Keep the description to 512 characters or fewer.');
  }
}

/**
 * Say what is wrong with a value, in words a person can act on; null when it is valid.
 */
export function checkField(
  field: Field,
  value: string,
  trans: TranslationBundle = nullTranslator.load(
    'jupyterlab_modelarts_snapshot'
  )
): string | null {
  const rule = RULES[field];
  const label = fieldLabel(field, trans);
  if (value === '') {
    return rule.required
      ? trans.__('%1 is required. %2', label, hint(field, trans))
      : null;
  }
  // Count characters as the server does (code points, not UTF-16 units).
  const length = Array.from(value).length;
  if (length > rule.maxLength) {
    return trans.__(
      '%1 is %2 characters long; the limit is %3. %4',
      label,
      length,
      rule.maxLength,
      hint(field, trans)
    );
  }
  if (rule.pattern && !rule.pattern.test(value)) {
    return trans.__(
      '%1 “%2” is not allowed. %3',
      label,
      value,
      hint(field, trans)
    );
  }
  return null;
}

export function fieldLabel(field: Field, trans: TranslationBundle): string {
  switch (field) {
    case 'name':
      return trans.__('Name');
    case 'namespace':
      return trans.__('Namespace');
    case 'tag':
      return trans.__('Tag');
    case 'description':
      return trans.__('Description');
  }
}

/**
 * The default tag from a pattern: `{date}` (YYYYMMDD, as ModelArts' own example),
 * `{time}` (HHMMSS) and `{datetime}`, in UTC.
 */
export function defaultTag(pattern: string, now: Date = new Date()): string {
  const iso = now.toISOString();
  const date = iso.slice(0, 10).replace(/-/g, '');
  const time = iso.slice(11, 19).replace(/:/g, '');
  return pattern
    .replace(/\{datetime\}/g, `${date}${time}`)
    .replace(/\{date\}/g, date)
    .replace(/\{time\}/g, time);
}
