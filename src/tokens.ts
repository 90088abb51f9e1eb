/**
 * Shapes of the server extension's REST API (`{baseUrl}modelarts-snapshot/`).
 */

/** ModelArts' own image statuses. */
export type ImageStatus =
  'INIT' | 'CREATING' | 'ACTIVE' | 'CREATE_FAILED' | 'ERROR' | 'DELETED';

/** One save: a persisted job record, keyed by the ModelArts image ID. */
export interface IJob {
  id: string;
  name: string;
  namespace: string;
  tag: string;
  description: string;
  status: ImageStatus | string;
  status_message: string;
  swr_path: string | null;
  size_kb: number | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  notebook_id: string;
  /** Why the last status check failed, while it keeps failing; null once one succeeds. */
  last_error: ILastError | null;
}

/** A status check of a save that ModelArts did not answer as asked. */
export interface ILastError {
  message: string;
  at: string;
  /** ModelArts' X-Request-Id, when it answered: what Huawei support asks for. */
  request_id: string | null;
}

/** A save that did not start: the message, and ModelArts' request ID when it answered. */
export interface ISaveError {
  message: string;
  requestId: string | null;
}

/** What the server knows about the instance it runs in. */
export interface IInstance {
  notebook_id: string | null;
  notebook_id_source: string | null;
  project_id: string | null;
  region: string | null;
  endpoint: string | null;
  credentials: string | null;
  ready: boolean;
  problems: string[];
}

/** The body of `POST images`. */
export interface ISaveRequest {
  name: string;
  namespace: string;
  tag?: string;
  description?: string;
}

export const FINISHED_STATUSES = [
  'ACTIVE',
  'CREATE_FAILED',
  'ERROR',
  'DELETED'
];
export const FAILED_STATUSES = ['CREATE_FAILED', 'ERROR'];

export function isFinished(job: IJob): boolean {
  return FINISHED_STATUSES.includes(job.status);
}

export namespace CommandIDs {
  export const save = 'modelarts-snapshot:save';
  export const openPanel = 'modelarts-snapshot:open-panel';
}

export const PLUGIN_ID = 'jupyterlab-modelarts-snapshot:plugin';
export const PANEL_ID = 'jp-modelarts-snapshot-panel';
