/**
 * The shapes of the server extension's REST API (`{baseUrl}modelarts-snapshot/`), each taken
 * from the types generated from its OpenAPI document (`openapi.d.ts`, `jlpm build:api`).
 */

import type { components, operations } from './generated/openapi';

type Schemas = components['schemas'];
/** The JSON body of an operation's answer with this HTTP status. */
type Answer<
  Id extends keyof operations,
  Code extends keyof operations[Id]['responses']
> = operations[Id]['responses'][Code] extends {
  content: { 'application/json': infer Body };
}
  ? Body
  : never;

/** One save: a persisted job record, keyed by the ModelArts image ID. */
export type IJob = Schemas['Job'];

/** A status check of a save that ModelArts did not answer as asked. */
export type ILastError = Schemas['LastError'];

/** A save's request to stop the instance once saved, and what came of it. */
export type IStopAfterSave = Schemas['StopAfterSave'];

/** When ModelArts stops this instance (`GET lease`), and near it what the stop would erase. */
export type ILease = Schemas['Lease'];

/** The warning before the auto-stop, as the server words it for every page. */
export type ILeaseWarning = Schemas['LeaseWarning'];

/** The restore script written to the work volume, and what it covers. */
export type IRestoreScript = Schemas['RestoreScript'];

/** What the server knows about the instance it runs in, and whether it can save. */
export type IReadiness = Schemas['Readiness'];

/** The body of `POST jobs`. */
export type ISaveRequest = Schemas['SaveRequest'];

/** What the server checks a tag with before a save: the image's name, organization and tag. */
export type IImageName = Pick<ISaveRequest, 'name' | 'namespace' | 'tag'>;

/** One page of `GET jobs`, newest first. */
export type IJobPage = Schemas['JobPage'];

/** The pre-flight report: what a save would add, and what could make it fail. */
export type IPreflightReport = Schemas['PreflightReport'];

/** One check of the pre-flight report; `block` refuses the save, `warn` asks to confirm. */
export type ICheck = Schemas['Check'];

/** One thing a check found (a credential file by path and kind only). */
export type ICheckItem = Schemas['CheckItem'];

/** What `POST preflight/cleanup` emptied. */
export type ICleanupResult = Schemas['CleanupResult'];

/** What a save added compared with its parent, per package manager. */
export type IChangesSummary = Schemas['ChangesSummary'];

/** `GET manifest/now`: the live environment compared with its parent image. */
export type IManifestNow = Answer<'getManifestNow', 200>;

/**
 * One package manager's part of the changes. `Changes` is an open object in the document
 * (`additionalProperties`), so its parts are read as these.
 */
export type IManagerChanges = Schemas['ManagerChanges'];

/** One save in a lineage (an open object in the document, read as this). */
export type ILineageEntry = Schemas['LineageEntry'];

/** `GET library`: a page of saved image groups, the group with the newest image first. */
export type ILibrary = Schemas['Library'];

/** The saved images of one name in one organization, newest first. */
export type IImageGroup = Schemas['ImageGroup'];

/** One saved image as ModelArts lists it, marked with what this instance knows of it. */
export type ISavedImage = Schemas['SavedImage'];

/** The query of `GET library`. */
export type ILibraryQuery = NonNullable<
  operations['imageLibrary']['parameters']['query']
>;

/** The body of `POST library/delete`. */
export type IDeleteImageRequest = Schemas['DeleteImageRequest'];

/** What `POST library/delete` removed. */
export type IDeletedImage = Schemas['DeletedImage'];

/** The body of `POST library/prune`. */
export type IPruneRequest = Schemas['PruneRequest'];

/** What `POST library/prune` would delete (a dry run) or deleted. */
export type IPruneResult = Schemas['PruneResult'];

/** An image a prune leaves, and why. */
export type IRefusedImage = Schemas['RefusedImage'];

/**
 * The body of an error answer: `Error`, and what the statuses of `POST jobs` add to it
 * (the field to fix, the refusing check, the unfinished job, the missing parts, and
 * ModelArts' request ID).
 */
export type IErrorBody = Schemas['Error'] &
  Partial<
    Omit<Schemas['UpstreamError'], 'message'> &
      Answer<'startSave', 400> &
      Answer<'startSave', 409> &
      Answer<'startSave', 412> &
      Answer<'deleteImage', 409>
  >;
