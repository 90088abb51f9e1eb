/**
 * The input rules of a save, the server's own, generated from jupyterlab_modelarts_snapshot/rules.json by `jlpm build:api`.
 * Do not edit: change jupyterlab_modelarts_snapshot/rules.json and run it again.
 */

export interface IRule {
  required: boolean;
  /** In characters (code points), as the server counts them. */
  maxLength: number;
  pattern: RegExp | null;
}

/** Each field of a save request and its rule. */
export const RULES = {
  name: {
    required: true,
    maxLength: 128,
    pattern: new RegExp('^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$')
  },
  namespace: {
    required: true,
    maxLength: 64,
    pattern: new RegExp('^[a-z][A-Za-z0-9._-]*$')
  },
  tag: {
    required: false,
    maxLength: 64,
    pattern: new RegExp('^[A-Za-z0-9_][A-Za-z0-9_.-]*$')
  },
  description: {
    required: false,
    maxLength: 512,
    pattern: null
  },
  workspace_id: {
    required: false,
    maxLength: 32,
    pattern: new RegExp('^(?:0|[0-9a-z]{32})$')
  }
} satisfies Record<string, IRule>;
