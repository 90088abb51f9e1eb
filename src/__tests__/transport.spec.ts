/**
 * The way requests go: REST while the server extension answers, the service kernel when the
 * server has none and the kernelspec is there, and the Jupyter server's own 404 otherwise; and
 * the service kernel kept out of the kernelspecs JupyterLab offers.
 */
import * as http from 'http';
import { AddressInfo } from 'net';

import { PageConfig } from '@jupyterlab/coreutils';
import { KernelSpec } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';

import {
  getReadiness,
  ServerExtensionMissing,
  setServiceConnection
} from '../api';
import {
  hideServiceKernel,
  IReply,
  IRequest,
  KernelTransport,
  ServiceConnection
} from '../transport';

let server: http.Server;
/** Whether the server has the extension, and whether it lists the service kernel. */
let extension = true;
let kernelspec = true;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    const path = (request.url ?? '').replace(/[?&]\d+$/, '');
    if (path.startsWith('/api/kernelspecs')) {
      const kernelspecs: Record<string, unknown> = { python3: {} };
      if (kernelspec) {
        kernelspecs['modelarts-snapshot-service'] = {};
      }
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ default: 'python3', kernelspecs }));
    } else if (extension) {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ via: 'rest' }));
    } else {
      response.writeHead(404, { 'Content-Type': 'text/html' });
      response.end('<html>404: Not Found</html>');
    }
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  PageConfig.setOption('baseUrl', `http://127.0.0.1:${port}/`);
});

afterAll(async () => {
  setServiceConnection(new ServiceConnection({}));
  await new Promise(resolve => server.close(resolve));
});

/** A stand-in for the service kernel that records what it was asked. */
function fakeKernel(asked: IRequest[]): KernelTransport {
  return {
    send: async (request: IRequest): Promise<IReply> => {
      asked.push(request);
      const text = JSON.stringify({ via: 'kernel' });
      return { response: new Response(null, { status: 200 }), text };
    }
  } as unknown as KernelTransport;
}

describe('the way requests go', () => {
  it('is REST while the server extension answers', async () => {
    extension = true;
    const asked: IRequest[] = [];
    const connection = new ServiceConnection({ kernel: fakeKernel(asked) });
    setServiceConnection(connection);
    expect(await getReadiness()).toEqual({ via: 'rest' });
    expect(connection.kind).toBe('rest');
    expect(asked).toHaveLength(0);
  });

  it('is the service kernel when the server has no extension, and stays so', async () => {
    extension = false;
    kernelspec = true;
    const asked: IRequest[] = [];
    const connection = new ServiceConnection({ kernel: fakeKernel(asked) });
    setServiceConnection(connection);
    expect(await getReadiness()).toEqual({ via: 'kernel' });
    expect(await getReadiness()).toEqual({ via: 'kernel' });
    expect(connection.kind).toBe('kernel');
    expect(asked.map(request => request.endPoint)).toEqual([
      'readiness',
      'readiness'
    ]);
  });

  it('is neither without the service kernel: the server extension is missing', async () => {
    extension = false;
    kernelspec = false;
    const asked: IRequest[] = [];
    setServiceConnection(new ServiceConnection({ kernel: fakeKernel(asked) }));
    await expect(getReadiness()).rejects.toBeInstanceOf(ServerExtensionMissing);
    expect(asked).toHaveLength(0);
  });
});

describe('the service kernel in the kernelspecs JupyterLab offers', () => {
  class Specs {
    constructor(private _specs: KernelSpec.ISpecModels) {}
    get specs(): KernelSpec.ISpecModels | null {
      return this._specs;
    }
    set value(specs: KernelSpec.ISpecModels) {
      this._specs = specs;
    }
    readonly specsChanged = new Signal<this, KernelSpec.ISpecModels>(this);
    readonly ready = Promise.resolve();
  }

  const spec = (name: string) =>
    ({
      name,
      display_name: name,
      language: 'python',
      argv: [],
      resources: {}
    }) as any;

  it('is left out, and the consumers are told again', async () => {
    const manager = new Specs({
      default: 'python3',
      kernelspecs: {
        python3: spec('python3'),
        'modelarts-snapshot-service': spec('modelarts-snapshot-service')
      }
    });
    const told: string[][] = [];
    manager.specsChanged.connect((_, specs) =>
      told.push(Object.keys(specs.kernelspecs))
    );
    hideServiceKernel(manager as unknown as KernelSpec.IManager);
    expect(Object.keys(manager.specs!.kernelspecs)).toEqual(['python3']);
    // The same object for the same list, a new one when the list changes.
    expect(manager.specs).toBe(manager.specs);
    await manager.ready;
    expect(told).toEqual([['python3']]);
    manager.value = {
      default: 'python3',
      kernelspecs: {
        python3: spec('python3'),
        r: spec('r'),
        'modelarts-snapshot-service': spec('modelarts-snapshot-service')
      }
    };
    expect(Object.keys(manager.specs!.kernelspecs)).toEqual(['python3', 'r']);
  });
});
