/**
 * The local REST API's types, generated from jupyterlab_modelarts_snapshot/openapi.json by `jlpm build:api`.
 * Do not edit: change the document and run it again.
 */
export interface paths {
  '/modelarts-snapshot/instance': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** What the server knows about the instance it runs in. */
    get: operations['getInstance'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/modelarts-snapshot/images': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** This instance's saves, newest first, a page at a time. */
    get: operations['listImages'];
    put?: never;
    /** Save this instance as an image. */
    post: operations['saveImage'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/modelarts-snapshot/images/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One save. */
    get: operations['getImage'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    Error: {
      /** @description What was wrong and how to fix it. */
      message: string;
    };
    SaveRequest: {
      /** @description Image name. */
      name: string;
      /** @description SWR organization. */
      namespace: string;
      /** @description Image tag; default the current UTC date and time. Empty means the default. */
      tag?: string | null;
      /** @description What the image is for. */
      description?: string | null;
      /** @description ModelArts workspace: '0' (the default) or a 32-character workspace ID; default from the server's settings. Empty means the default. */
      workspace_id?: string | null;
    };
    Job: {
      /**
       * Format: uuid
       * @description The ModelArts image ID.
       */
      id: string;
      name: string;
      namespace: string;
      tag: string;
      description: string;
      /** @description ModelArts' own status: INIT, CREATING, ACTIVE, CREATE_FAILED, ERROR or DELETED (also when ModelArts no longer has the image). */
      status: string;
      status_message: string;
      /** @description What `docker pull` takes. */
      swr_path: string | null;
      size_kb: number | null;
      /** Format: date-time */
      created_at: string;
      /**
       * Format: date-time
       * @description When ModelArts was last asked about this image successfully.
       */
      updated_at: string;
      /** Format: date-time */
      finished_at: string | null;
      notebook_id: string;
      /** @description Why the last status check failed, while it keeps failing; null once a check succeeds. */
      last_error: components['schemas']['LastError'] | null;
    };
    Instance: {
      notebook_id: string | null;
      /** @description Where the instance ID came from: config, env:MODELARTS_NOTEBOOK_ID, env:INSTANCE_ID (set by ModelArts), base_url or hostname (notebook-<id>). */
      notebook_id_source: string | null;
      project_id: string | null;
      /** @description Where the project ID came from: config, env:HUAWEICLOUD_SDK_PROJECT_ID, env:PROJECT_ID (set by ModelArts) or credentials:<source>. */
      project_id_source: string | null;
      region: string | null;
      endpoint: string | null;
      /** @description Where the credentials came from; never a secret. */
      credentials: string | null;
      /** @description The modelarts SDK session's user ID, sent as X-ModelArts-User-ID with each call. */
      user_id: string | null;
      ready: boolean;
      problems: string[];
    };
    /** @description Why the last status check of an unfinished save failed. */
    LastError: {
      message: string;
      /** Format: date-time */
      at: string;
      /** @description ModelArts' X-Request-Id for the failed call, when it answered: what Huawei support asks for. */
      request_id: string | null;
    };
    /** @description One page of this instance's saves, newest first. */
    ImagePage: {
      images: components['schemas']['Job'][];
      /** @description How many saves this instance has. */
      total: number;
      limit: number;
      offset: number;
    };
    UpstreamError: components['schemas']['Error'] & {
      upstream_status: number | null;
      error_code: string | null;
      error_msg: string | null;
      /** @description ModelArts' X-Request-Id for the failed call, when it answered: what Huawei support asks for. */
      request_id: string | null;
    };
  };
  responses: {
    /** @description No Jupyter credentials (or no XSRF token with a cookie). */
    Forbidden: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Error'];
      };
    };
  };
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
  getInstance: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The instance. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Instance'];
        };
      };
      403: components['responses']['Forbidden'];
    };
  };
  listImages: {
    parameters: {
      query?: {
        /** @description How many saves to return (default 100). */
        limit?: number;
        /** @description How many of the newest saves to skip. */
        offset?: number;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page of saves. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ImagePage'];
        };
      };
      /** @description limit or offset is not a whole number in range. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'] & {
            field: string;
          };
        };
      };
      403: components['responses']['Forbidden'];
    };
  };
  saveImage: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['SaveRequest'];
      };
    };
    responses: {
      /** @description The save started. */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Job'];
        };
      };
      /** @description Invalid input; nothing was sent to ModelArts. */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'] & {
            field: string;
          };
        };
      };
      403: components['responses']['Forbidden'];
      /** @description A save from this instance is unfinished. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'] & {
            job: components['schemas']['Job'] | null;
          };
        };
      };
      /** @description Not ready to save. */
      412: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'] & {
            problems: string[];
          };
        };
      };
      /** @description Body over 64 KiB. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description ModelArts refused, or its answer could not be used. */
      502: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['UpstreamError'];
        };
      };
      /** @description ModelArts did not answer in time, or could not be reached. */
      504: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['UpstreamError'];
        };
      };
    };
  };
  getImage: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The image ID. */
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The save. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Job'];
        };
      };
      403: components['responses']['Forbidden'];
      /** @description No such save here. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
}
