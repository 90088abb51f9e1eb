/**
 * How the page reaches the service: the server extension's REST API when the Jupyter server has
 * loaded it, and otherwise the service kernel over a comm (`info.x-service-kernel` in
 * openapi.json). On ModelArts the Jupyter server starts before the package is installed and is
 * never restarted, so on the first day only the kernel is there; an instance started from a
 * saved image has REST from its start. Both carry the same requests and give the same answers.
 */
import { URLExt } from '@jupyterlab/coreutils';
import {
  Kernel,
  KernelMessage,
  KernelSpec,
  ServerConnection,
  Session
} from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { COMM_TARGET, SERVICE_KERNEL } from './generated/vocabulary';

/** Where the extension's REST API lives under the Jupyter server's base URL. */
export const ROOT = 'modelarts-snapshot';

/** The one session of the service kernel: every tab that opens it joins the same kernel. */
const SESSION_PATH = '.modelarts-snapshot-service';

/** A request with no timeout of its own gets no answer within this time: it failed. */
const KERNEL_REQUEST_TIMEOUT_MS = 120000;

/** The way a request took: the REST API, or the service kernel. */
export type TransportKind = 'rest' | 'kernel';

/** A request of the local API: its method, its path under `modelarts-snapshot/` with the
 * query, its body, and the page's language for the messages. */
export interface IRequest {
  method: string;
  endPoint: string;
  body?: string;
  language: string;
  /** The answer must come within this time, or the request counts as unanswered. */
  timeoutMs?: number;
}

/** An answer of the local API, whichever way it came. */
export interface IReply {
  /** A fetch `Response` with the status and headers (for `ServerConnection.ResponseError`). */
  response: Response;
  /** Its body text, as the REST API sends it. */
  text: string;
}

/**
 * The service kernel did not start, or started without its service: `detail` is the kernel's
 * own error, as the Jupyter server or the kernel gave it.
 */
export class ServiceKernelFailed extends Error {
  /** `fromKernel`: the kernel runs and said why, in a whole message of its own. */
  constructor(
    readonly detail: string,
    readonly fromKernel = false
  ) {
    super(detail);
  }
}

/** The REST API of the server extension. */
export async function restSend(request: IRequest): Promise<IReply> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, ROOT, request.endPoint);
  const init: RequestInit = {
    method: request.method,
    body: request.body,
    headers: { 'Accept-Language': request.language }
  };
  // A paused server accepts the connection but never answers: give up after timeoutMs.
  if (request.timeoutMs !== undefined) {
    init.signal = AbortSignal.timeout(request.timeoutMs);
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  return { response, text: await response.text() };
}

/** What the service kernel sends back for one request. */
interface IKernelReply {
  id: string | null;
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface IPending {
  resolve: (reply: IReply) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  /** The kernel reports no idle for a request (it would delay the answer), so the page
   * disposes the request's future itself. */
  future?: Kernel.IShellFuture;
}

/**
 * The service kernel, started or joined through its one session, and a comm to it. A kernel
 * that restarts loses its comms: the next request opens another; one that is gone is started
 * again by the next request, and it takes up unfinished saves from their records.
 */
export class KernelTransport {
  constructor(options: KernelTransport.IOptions) {
    this._sessions = options.sessions;
    this._sessionName = options.sessionName;
  }

  async send(request: IRequest): Promise<IReply> {
    try {
      return await this._sendOnce(request);
    } catch (error) {
      if (!(error instanceof KernelGone)) {
        throw error;
      }
      // The kernel restarted or stopped while it was asked: ask once more, of the kernel that
      // the server restarted, or of a new one. Every operation may be asked twice: a second
      // save is refused while the first is unfinished.
      try {
        return await this._sendOnce(request);
      } catch (again) {
        throw again instanceof KernelGone ? unanswered(again.message) : again;
      }
    }
  }

  private async _sendOnce(request: IRequest): Promise<IReply> {
    const failure = this.takeFailure();
    if (failure) {
      throw failure;
    }
    const comm = await this._openComm();
    const id = `${this._prefix}-${++this._count}`;
    return new Promise<IReply>((resolve, reject) => {
      const timer = setTimeout(
        () => this._settle(id, unanswered('no answer in time')),
        request.timeoutMs ?? KERNEL_REQUEST_TIMEOUT_MS
      );
      const pending: IPending = { resolve, reject, timer };
      this._pending.set(id, pending);
      pending.future = comm.send({
        id,
        method: request.method,
        path: request.endPoint,
        body: request.body ?? null,
        language: request.language
      });
    });
  }

  dispose(): void {
    this._dropComm('the page closed');
    this._session?.dispose();
  }

  private async _openComm(): Promise<Kernel.IComm> {
    if (
      this._comm &&
      !this._comm.isDisposed &&
      this._kernel &&
      !this._kernel.isDisposed
    ) {
      return this._comm;
    }
    this._opening ??= this._connect().finally(() => (this._opening = null));
    return this._opening;
  }

  private async _connect(): Promise<Kernel.IComm> {
    const kernel = await this._joinKernel();
    if (kernel !== this._kernel) {
      this._kernel?.statusChanged.disconnect(this._onStatus, this);
      this._kernel = kernel;
      this._answered = false;
      kernel.statusChanged.connect(this._onStatus, this);
    }
    const comm = kernel.createComm(COMM_TARGET);
    comm.onMsg = message => this._onReply(message);
    comm.open({});
    this._comm = comm;
    return comm;
  }

  /** The kernel of the one service session: joined when it runs, started when not. */
  private async _joinKernel(): Promise<Kernel.IKernelConnection> {
    const kernel = this._session?.kernel;
    if (
      this._session &&
      !this._session.isDisposed &&
      kernel &&
      kernel.status !== 'dead'
    ) {
      return kernel;
    }
    this._session?.dispose();
    this._session = null;
    const start = async () => {
      try {
        // The server answers a session that exists at this path with that session.
        return await this._sessions.startNew({
          path: SESSION_PATH,
          name: this._sessionName,
          type: 'modelarts-snapshot',
          kernel: { name: SERVICE_KERNEL }
        });
      } catch (error) {
        throw new ServiceKernelFailed(
          error instanceof Error ? error.message : String(error)
        );
      }
    };
    // Two tabs opening at once start one kernel, not two (where the browser has Web Locks).
    const locks = (navigator as any).locks;
    const session: Session.ISessionConnection = locks
      ? await locks.request(SESSION_PATH, start)
      : await start();
    this._session = session;
    if (!session.kernel) {
      throw new ServiceKernelFailed('the session has no kernel');
    }
    return session.kernel;
  }

  private _onStatus(
    kernel: Kernel.IKernelConnection,
    status: Kernel.Status
  ): void {
    if (status === 'restarting' || status === 'autorestarting') {
      this._dropComm('the service kernel restarted');
    } else if (status === 'dead') {
      this._dropComm('the service kernel stopped');
      if (!this._answered) {
        // It never answered: it stops as it starts, and another would too.
        this._failure = new ServiceKernelFailed(
          'the kernel stopped as it started (its status is dead)'
        );
      }
    }
  }

  private _onReply(message: KernelMessage.ICommMsgMsg): void {
    const data = message.content.data as unknown as IKernelReply;
    if (typeof data?.id !== 'string') {
      return;
    }
    this._answered = true;
    const failed = serviceError(data);
    if (failed) {
      this._settle(data.id, failed);
      return;
    }
    const response = new Response(null, {
      status: data.status,
      headers: data.headers ?? {}
    });
    this._settle(data.id, { response, text: String(data.body ?? '') });
  }

  /** The failure of the last kernel that stopped as it started, once: the next request
   * starts another. */
  takeFailure(): ServiceKernelFailed | null {
    const failure = this._failure;
    this._failure = null;
    return failure;
  }

  private _settle(id: string, outcome: IReply | Error): void {
    const pending = this._pending.get(id);
    if (!pending) {
      return;
    }
    this._pending.delete(id);
    clearTimeout(pending.timer);
    pending.future?.dispose();
    if (outcome instanceof Error) {
      pending.reject(outcome);
    } else {
      pending.resolve(outcome);
    }
  }

  /** Forget the comm; the requests waiting on it are asked again (`send`). */
  private _dropComm(why: string): void {
    this._comm = null;
    for (const id of [...this._pending.keys()]) {
      this._settle(id, new KernelGone(why));
    }
  }

  private _sessions: Session.IManager;
  private _sessionName: string;
  private _session: Session.ISessionConnection | null = null;
  private _kernel: Kernel.IKernelConnection | null = null;
  private _comm: Kernel.IComm | null = null;
  private _opening: Promise<Kernel.IComm> | null = null;
  private _pending = new Map<string, IPending>();
  private _failure: ServiceKernelFailed | null = null;
  /** Whether the current kernel has answered a request. */
  private _answered = false;
  private _prefix = Math.random().toString(36).slice(2);
  private _count = 0;
}

export namespace KernelTransport {
  export interface IOptions {
    sessions: Session.IManager;
    /** The name of the service kernel's session, as the Running panel shows it. */
    sessionName: string;
  }
}

/** The kernel's answer when it runs without its service (a setting that is not valid). */
function serviceError(reply: IKernelReply): ServiceKernelFailed | null {
  if (reply.status !== 500) {
    return null;
  }
  try {
    const body = JSON.parse(reply.body);
    return body?.service_error
      ? new ServiceKernelFailed(String(body.message), true)
      : null;
  } catch {
    return null;
  }
}

/** The kernel restarted or stopped before it answered a request. */
class KernelGone extends Error {}

/** A request that got no answer: the same error as a server that does not answer. */
function unanswered(why: string): Error {
  return new ServerConnection.NetworkError(new TypeError(why));
}

/**
 * The way the page takes: REST while the server extension answers; the service kernel once a
 * request found the server without it (the server's own 404 page) and a kernelspec for the
 * service kernel exists.
 */
export class ServiceConnection {
  constructor(options: ServiceConnection.IOptions) {
    this._kernel = options.kernel ?? null;
  }

  /** The way the last request took; null until one was answered. */
  get kind(): TransportKind | null {
    return this._kind;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  async send(request: IRequest): Promise<IReply> {
    if (this._kind === 'kernel' && this._kernel) {
      return this._kernel.send(request);
    }
    const reply = await restSend(request);
    if (!isServersOwn404(reply)) {
      this._setKind('rest');
      return reply;
    }
    // No server extension: the service kernel, when its kernelspec is installed.
    if (!this._kernel || !(await hasServiceKernel())) {
      return reply;
    }
    this._setKind('kernel');
    return this._kernel.send(request);
  }

  private _setKind(kind: TransportKind): void {
    if (kind !== this._kind) {
      this._kind = kind;
      this._changed.emit();
    }
  }

  private _kernel: KernelTransport | null;
  private _kind: TransportKind | null = null;
  private _changed = new Signal<this, void>(this);
}

export namespace ServiceConnection {
  export interface IOptions {
    /** The service kernel; without it only REST is tried. */
    kernel?: KernelTransport;
  }
}

/** The extension's routes answer JSON; the Jupyter server's own 404 page means no extension. */
function isServersOwn404(reply: IReply): boolean {
  if (reply.response.status !== 404) {
    return false;
  }
  try {
    JSON.parse(reply.text);
    return false;
  } catch {
    return true;
  }
}

/** Whether the server knows the service kernel's kernelspec (asked directly: the page's list
 * of kernelspecs leaves it out; and read raw, since one kernelspec of another kind that
 * JupyterLab finds malformed must not hide ours). */
async function hasServiceKernel(): Promise<boolean> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'api/kernelspecs');
  const response = await ServerConnection.makeRequest(url, {}, settings);
  if (!response.ok) {
    return false;
  }
  const specs = await response.json();
  return Boolean(specs?.kernelspecs && SERVICE_KERNEL in specs.kernelspecs);
}

/**
 * Leave the service kernel out of the kernelspecs that JupyterLab offers (the Launcher, the
 * kernel choosers): it serves the panel and runs no code. JupyterLab has no setting to hide a
 * kernelspec, so the manager's list is read through a filter, and its consumers are told again.
 */
export function hideServiceKernel(manager: KernelSpec.IManager): void {
  let owner: object | null = manager;
  let descriptor: PropertyDescriptor | undefined;
  while (owner && !descriptor) {
    descriptor = Object.getOwnPropertyDescriptor(owner, 'specs');
    owner = Object.getPrototypeOf(owner);
  }
  const read = descriptor?.get;
  if (!read) {
    return;
  }
  let seen: KernelSpec.ISpecModels | null = null;
  let shown: KernelSpec.ISpecModels | null = null;
  Object.defineProperty(manager, 'specs', {
    configurable: true,
    get: () => {
      const specs = read.call(manager) as KernelSpec.ISpecModels | null;
      if (specs !== seen) {
        seen = specs;
        shown = specs && withoutServiceKernel(specs);
      }
      return shown;
    }
  });
  const changed = manager.specsChanged;
  if (changed instanceof Signal) {
    void manager.ready.then(() => {
      if (manager.specs) {
        changed.emit(manager.specs);
      }
    });
  }
}

function withoutServiceKernel(
  specs: KernelSpec.ISpecModels
): KernelSpec.ISpecModels {
  if (!(SERVICE_KERNEL in specs.kernelspecs)) {
    return specs;
  }
  const kernelspecs = { ...specs.kernelspecs };
  delete kernelspecs[SERVICE_KERNEL];
  return { ...specs, kernelspecs };
}
