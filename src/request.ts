import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** An error answer of the REST API, with ModelArts' request ID when the body has one. */
export class SnapshotAPIError extends ServerConnection.ResponseError {
  constructor(
    response: Response,
    message: string,
    readonly requestId: string | null
  ) {
    super(response, message);
  }
}

/**
 * JupyterLab has this front end, but the Jupyter server has no server extension to answer it:
 * the extension's routes give the server's own 404 page instead of JSON.
 */
export class ServerExtensionMissing extends ServerConnection.ResponseError {}

/** JupyterLab's language (`ITranslator.languageCode`), in which the server words its messages. */
let pageLanguage = 'en';

export function setPageLanguage(code: string): void {
  pageLanguage = code;
}

/**
 * Call the extension's REST API under `{baseUrl}modelarts-snapshot/`.
 *
 * `ServerConnection.makeRequest` carries the token and the XSRF header; `Accept-Language`
 * asks for the server's messages in the page's language.
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  timeoutMs?: number
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const requestUrl = URLExt.join(
    settings.baseUrl,
    'modelarts-snapshot',
    endPoint
  );
  // A paused server accepts the connection but never answers: give up after timeoutMs.
  if (timeoutMs !== undefined && !init.signal) {
    init = { ...init, signal: AbortSignal.timeout(timeoutMs) };
  }
  const headers = new Headers(init.headers);
  if (!headers.has('Accept-Language')) {
    headers.set('Accept-Language', pageLanguage);
  }
  init = { ...init, headers };
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(requestUrl, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let data: any = undefined;
  if (text.length > 0) {
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
    const message =
      data?.message ?? `${response.status} ${response.statusText}`;
    throw new SnapshotAPIError(response, message, data?.request_id ?? null);
  }
  return data as T;
}
