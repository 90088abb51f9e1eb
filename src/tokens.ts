/**
 * Tokens and interfaces: the shapes of the server extension's REST API
 * (`{baseUrl}modelarts-snapshot/`), generated from its OpenAPI document into `api.d.ts`.
 */

import type { components } from './api';

type Schemas = components['schemas'];

/** One save: a persisted job record, keyed by the ModelArts image ID. */
export type IJob = Schemas['Job'];

/** A status check of a save that ModelArts did not answer as asked. */
export type ILastError = Schemas['LastError'];

/** What the server knows about the instance it runs in. */
export type IInstance = Schemas['Instance'];

/** The body of `POST images`. */
export type ISaveRequest = Schemas['SaveRequest'];

/** One page of `GET images`, newest first. */
export type IImagePage = Schemas['ImagePage'];

/** A save that did not start: the message, and ModelArts' request ID when it answered. */
export interface ISaveError {
  message: string;
  requestId: string | null;
}

/** ModelArts' image statuses that end a save, and those of them that are failures. */
export const FINISHED_STATUSES: readonly string[] = [
  'ACTIVE',
  'CREATE_FAILED',
  'ERROR',
  'DELETED'
];
export const FAILED_STATUSES: readonly string[] = ['CREATE_FAILED', 'ERROR'];

export function isFinished(job: IJob): boolean {
  return FINISHED_STATUSES.includes(job.status);
}

export namespace CommandIDs {
  export const save = 'modelarts-snapshot:save';
  export const openPanel = 'modelarts-snapshot:open-panel';
}

export const PLUGIN_ID = 'jupyterlab-modelarts-snapshot:plugin';
export const PANEL_ID = 'jp-modelarts-snapshot-panel';

/** The pre-flight report: what a save would add, and what could make it fail. */
export type IPreflightReport = Schemas['PreflightReport'];

/** One check of the report; `block` refuses the save, `warn` asks to confirm. */
export type ICheck = Schemas['Check'];

/** One thing a check found (a credential file by path and kind only). */
export type ICheckItem = Schemas['CheckItem'];

/** What `POST preflight/cleanup` emptied. */
export type ICleanupResult = Schemas['CleanupResult'];

/** What a save added compared with its parent, per package manager. */
export type IChangesSummary = Schemas['ChangesSummary'];
