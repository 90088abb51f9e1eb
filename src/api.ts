/**
 * Every call of the local API (`{baseUrl}modelarts-snapshot/`), on the paths of
 * `openapi.json`, by REST or through the service kernel (`transport.ts`). An error answer
 * arrives as a thrown `ApiError`; no answer at all as `ServerConnection.NetworkError`.
 */
import { ServerConnection } from '@jupyterlab/services';

import type {
  ICleanupResult,
  IErrorBody,
  IImageName,
  IJob,
  IJobPage,
  ILease,
  IDeletedImage,
  IDeleteImageRequest,
  ILibrary,
  ILibraryQuery,
  IManifestNow,
  IPreflightReport,
  IPruneRequest,
  IPruneResult,
  IReadiness,
  IRestoreScript,
  ISaveRequest
} from './types';
import type { RebuildFile } from './generated/vocabulary';
import { ServiceConnection } from './transport';

/** A request that gets no answer within this time counts as the server not answering. */
const REQUEST_TIMEOUT_MS = 10000;

/**
 * An error answer of the REST API, with what its body says: the field the form can fix, the
 * refusing check, the unfinished job, the missing parts, and ModelArts' request ID.
 */
export class ApiError extends ServerConnection.ResponseError {
  constructor(response: Response, message: string, body?: IErrorBody) {
    super(response, message);
    this.status = response.status;
    this.requestId = body?.request_id ?? null;
    this.field = body?.field ?? null;
    this.check = body?.check ?? null;
    this.job = body?.job ?? null;
    this.problems = body?.problems ?? [];
    this.reason = body?.reason ?? null;
  }

  /** The HTTP status of the answer. */
  readonly status: number;
  /** ModelArts' request ID for the failed call, when ModelArts answered. */
  readonly requestId: string | null;
  /** The field of the request to fix (400, and a refused tag). */
  readonly field: string | null;
  /** The pre-flight check that refused the save (409). */
  readonly check: string | null;
  /** The unfinished save that refused a new one (409). */
  readonly job: IJob | null;
  /** What the server misses to save (412). */
  readonly problems: string[];
  /** Why the library refused a delete or a prune (409), e.g. `runs-now`, `list-changed`. */
  readonly reason: string | null;
}

/**
 * JupyterLab has this front end, but the Jupyter server has no server extension to answer it:
 * the extension's routes give the server's own 404 page instead of JSON.
 */
export class ServerExtensionMissing extends ApiError {}

/** JupyterLab's language (`ITranslator.languageCode`), in which the server words its messages. */
let pageLanguage = 'en';

export function setPageLanguage(code: string): void {
  pageLanguage = code;
}

/** The way requests go: REST alone until the plugin gives the service kernel too. */
let connection = new ServiceConnection({});

export function setServiceConnection(current: ServiceConnection): void {
  connection = current;
}

/**
 * Call the local API, by REST or through the service kernel, with the same answers either way.
 *
 * `ServerConnection.makeRequest` carries the token and the XSRF header; `Accept-Language` (or
 * the request's `language` through the kernel) asks for the messages in the page's language.
 */
async function request<T>(
  endPoint: string,
  init: { method?: string; body?: string } = {},
  timeoutMs?: number
): Promise<T> {
  const { response, text } = await connection.send({
    method: init.method ?? 'GET',
    endPoint,
    body: init.body,
    language: pageLanguage,
    timeoutMs
  });
  let data: any = undefined;
  if (
    text.length > 0 &&
    !response.headers.get('Content-Type')?.startsWith('text/plain')
  ) {
    try {
      data = JSON.parse(text);
    } catch {
      // not JSON: not an answer of the extension
    }
  }
  if (!response.ok) {
    if (response.status === 404 && data === undefined) {
      throw new ServerExtensionMissing(
        response,
        'The ModelArts snapshot server extension is not loaded.'
      );
    }
    const body = data as IErrorBody | undefined;
    throw new ApiError(
      response,
      body?.message ?? `${response.status} ${response.statusText}`,
      body
    );
  }
  return (data === undefined ? text : data) as T;
}

/** `GET readiness`: whether this server can save, and what it knows about the instance. */
export function getReadiness(): Promise<IReadiness> {
  return request<IReadiness>('readiness', {}, REQUEST_TIMEOUT_MS);
}

/** `GET jobs`: the newest `limit` saves of this instance, newest first. */
export function listJobs(limit: number): Promise<IJobPage> {
  return request<IJobPage>(`jobs?limit=${limit}`, {}, REQUEST_TIMEOUT_MS);
}

/** `GET jobs/{id}`: one save, as the server last saw it. */
export function getJob(id: string): Promise<IJob> {
  return request<IJob>(
    `jobs/${encodeURIComponent(id)}`,
    {},
    REQUEST_TIMEOUT_MS
  );
}

/** `POST jobs`: start a save. */
export function startSave(body: ISaveRequest): Promise<IJob> {
  return request<IJob>('jobs', { method: 'POST', body: JSON.stringify(body) });
}

/** `POST preflight`: start (or join) the pre-flight report; `image` lets it check the tag. */
export function startPreflight(image?: IImageName): Promise<IPreflightReport> {
  return request<IPreflightReport>('preflight', {
    method: 'POST',
    body: image ? JSON.stringify(image) : ''
  });
}

/** `GET preflight`: the last pre-flight report, running or done. */
export function getPreflight(): Promise<IPreflightReport> {
  return request<IPreflightReport>('preflight');
}

/** `POST preflight/cleanup`: empty these cache folders of the last pre-flight report. */
export function cleanCaches(paths: string[]): Promise<ICleanupResult> {
  return request<ICleanupResult>('preflight/cleanup', {
    method: 'POST',
    body: JSON.stringify({ paths })
  });
}

/** `GET manifest/now`: the live environment compared with its parent image. */
export function getManifestNow(): Promise<IManifestNow> {
  return request<IManifestNow>('manifest/now');
}

/** `GET jobs/{id}/rebuild/{file}`: the text of a file that rebuilds a save's environment. */
export function getRebuildFile(
  jobId: string,
  file: RebuildFile
): Promise<string> {
  return request<string>(`jobs/${encodeURIComponent(jobId)}/rebuild/${file}`);
}

/** `GET lease`: when the instance stops (the server reads ModelArts, not each page). */
export function getLease(): Promise<ILease> {
  return request<ILease>('lease', {}, REQUEST_TIMEOUT_MS);
}

/** `POST lease`: the instance stops `hours` (1 to 72) from now. */
export function extendLease(hours: number): Promise<ILease> {
  return request<ILease>('lease', {
    method: 'POST',
    body: JSON.stringify({ hours })
  });
}

/** `POST lease/warning`: this page showed the warning for this stop time. */
export function leaseWarningShown(stopAt: string): Promise<ILease> {
  return request<ILease>('lease/warning', {
    method: 'POST',
    body: JSON.stringify({ stop_at: stopAt })
  });
}

/**
 * `POST restore-script`: write the script that reinstalls the pip and conda packages a stop
 * erases; `afterEachSave` also turns writing it after each save on or off.
 */
export function writeRestoreScript(
  afterEachSave?: boolean
): Promise<IRestoreScript> {
  return request<IRestoreScript>('restore-script', {
    method: 'POST',
    body: JSON.stringify(
      afterEachSave === undefined ? {} : { after_each_save: afterEachSave }
    )
  });
}

/**
 * `GET library`: a page of the saved image groups of `namespace`, or of the organizations
 * this instance saved to; `refresh` reads ModelArts again instead of the server's cached list.
 */
export function getLibrary(query: ILibraryQuery): Promise<ILibrary> {
  const params = new URLSearchParams();
  if (query.namespace) {
    params.set('namespace', query.namespace);
  }
  if (query.limit !== undefined) {
    params.set('limit', String(query.limit));
  }
  if (query.offset !== undefined) {
    params.set('offset', String(query.offset));
  }
  if (query.refresh) {
    params.set('refresh', query.refresh);
  }
  const search = params.toString();
  return request<ILibrary>(
    search ? `library?${search}` : 'library',
    {},
    // Reading a large organization from ModelArts takes a page per 200 images.
    3 * REQUEST_TIMEOUT_MS
  );
}

/** `POST library/delete`: delete one listed image, and with `with_swr_content` its SWR image. */
export function deleteImage(body: IDeleteImageRequest): Promise<IDeletedImage> {
  return request<IDeletedImage>('library/delete', {
    method: 'POST',
    body: JSON.stringify(body)
  });
}

/**
 * `POST library/prune`: keep the newest `keep` images of a name. A dry run (the default) lists
 * what would go; `dry_run: false` with exactly those `ids` deletes them.
 */
export function pruneImages(body: IPruneRequest): Promise<IPruneResult> {
  return request<IPruneResult>('library/prune', {
    method: 'POST',
    body: JSON.stringify(body)
  });
}

/** The calls the library model makes: these in the product, a stand-in in unit tests. */
export interface ILibraryAPI {
  list(query: ILibraryQuery): Promise<ILibrary>;
  remove(body: IDeleteImageRequest): Promise<IDeletedImage>;
  prune(body: IPruneRequest): Promise<IPruneResult>;
}

export const libraryAPI: ILibraryAPI = {
  list: getLibrary,
  remove: deleteImage,
  prune: pruneImages
};

/** The calls the lease model makes: these in the product, a stand-in in unit tests. */
export interface ILeaseAPI {
  lease(): Promise<ILease>;
  extend(hours: number): Promise<ILease>;
  warningShown(stopAt: string): Promise<ILease>;
}

export const leaseAPI: ILeaseAPI = {
  lease: getLease,
  extend: extendLease,
  warningShown: leaseWarningShown
};

/** The calls the jobs model makes: these in the product, a stand-in in unit tests. */
export interface IJobsAPI {
  readiness(): Promise<IReadiness>;
  jobs(limit: number): Promise<IJobPage>;
  job(id: string): Promise<IJob>;
  save(request: ISaveRequest): Promise<IJob>;
}

export const jobsAPI: IJobsAPI = {
  readiness: getReadiness,
  jobs: listJobs,
  job: getJob,
  save: startSave
};

/** The calls the pre-flight view makes: these in the product, a stand-in in unit tests. */
export interface IPreflightAPI {
  start(image?: IImageName): Promise<IPreflightReport>;
  latest(): Promise<IPreflightReport>;
  cleanup(paths: string[]): Promise<ICleanupResult>;
}

export const preflightAPI: IPreflightAPI = {
  start: startPreflight,
  latest: getPreflight,
  cleanup: cleanCaches
};
