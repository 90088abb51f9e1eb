/**
 * The lists of the REST API's enums, generated from jupyterlab_modelarts_snapshot/openapi.json by `jlpm build:api`.
 * Do not edit: change jupyterlab_modelarts_snapshot/openapi.json and run it again.
 */

import type { components, operations } from './openapi';

type Schemas = components['schemas'];

/** ModelArts' status of an image, as a job records it (`Job.status`). */
export type Status = Schemas['Job']['status'];
/** How much a check of the pre-flight report weighs (`Check.level`). */
export type CheckLevel = Schemas['Check']['level'];
/** The checks of the pre-flight report (`Check.id`). */
export type CheckId = Schemas['Check']['id'];
/** The files that rebuild a save's environment (`GET jobs/{id}/rebuild/{file}`). */
export type RebuildFile =
  operations['getRebuildFile']['parameters']['path']['file'];
/** The package managers a manifest knows (`ChangesSummary`). */
export type Manager = keyof Schemas['ChangesSummary'];

/** Every status of a job. */
export const STATUSES: readonly Status[] = [
  'INIT',
  'CREATING',
  'ACTIVE',
  'CREATE_FAILED',
  'ERROR',
  'DELETED'
];

/** The statuses that end a job (`x-finished`). */
export const FINISHED: readonly Status[] = [
  'ACTIVE',
  'CREATE_FAILED',
  'ERROR',
  'DELETED'
];

/** The statuses that end a job in failure (`x-failed`). */
export const FAILED: readonly Status[] = ['CREATE_FAILED', 'ERROR'];

/** The levels of a check, lightest first. */
export const CHECK_LEVELS: readonly CheckLevel[] = [
  'ok',
  'info',
  'warn',
  'block'
];

/** The checks, in the order the report gives them. */
export const CHECK_IDS: readonly CheckId[] = [
  'instance',
  'tag',
  'size',
  'caches',
  'secrets',
  'layers',
  'processes',
  'kernels'
];

/** The rebuild files, in the order they are offered. */
export const REBUILD_FILES: readonly RebuildFile[] = [
  'Dockerfile',
  'requirements.txt',
  'environment.yml'
];

/** The kernelspec of the service kernel, which serves these operations over a comm when the server extension is not loaded. */
export const SERVICE_KERNEL = 'modelarts-snapshot-service';
/** The comm target the service kernel answers on. */
export const COMM_TARGET = 'modelarts-snapshot';
/** The package managers, in the order they are shown. */
export const MANAGERS: readonly Manager[] = ['pip', 'conda', 'apt'];
