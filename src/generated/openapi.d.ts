/**
 * The local REST API's types, generated from jupyterlab_modelarts_snapshot/openapi.json by `jlpm build:api`.
 * Do not edit: change jupyterlab_modelarts_snapshot/openapi.json and run it again.
 */
export interface paths {
  '/modelarts-snapshot/readiness': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** What the server knows about the instance it runs in. */
    get: operations['getReadiness'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/modelarts-snapshot/jobs': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** This instance's saves, newest first, a page at a time. */
    get: operations['listJobs'];
    put?: never;
    /** Save this instance as an image. */
    post: operations['startSave'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/modelarts-snapshot/jobs/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One save. */
    get: operations['getJob'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/modelarts-snapshot/preflight': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The latest pre-flight report. */
    get: operations['getPreflight'];
    put?: never;
    /** Start a pre-flight report, or join the one running; a finished one is reused for a minute. The instance, tag, processes and kernels checks are taken again. */
    post: operations['startPreflight'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/modelarts-snapshot/preflight/cleanup': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Empty caches the latest report lists (the tool's own command where there is one), never following a link and never crossing into another mount; sockets, FIFOs and device files stay. Anything else, a folder in, holding or on another mount than the container's file system, and a folder that changed since the report are refused, and nothing is deleted. */
    post: operations['cleanCaches'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/modelarts-snapshot/jobs/{id}/manifest': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The manifest recorded when this image was saved. */
    get: operations['getJobManifest'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/modelarts-snapshot/jobs/{id}/changes': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** What this save added compared with its parent, and its lineage. */
    get: operations['getJobChanges'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/modelarts-snapshot/jobs/{id}/rebuild/{file}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A file that rebuilds this image without its stack of saved layers, as a download. */
    get: operations['getRebuildFile'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/modelarts-snapshot/manifest/now': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The live environment, its changes since the parent image, and the lineage so far. */
    get: operations['getManifestNow'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/modelarts-snapshot/lease': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** When the instance stops, and near the stop what the stop would erase. */
    get: operations['getLease'];
    put?: never;
    /** Extend the auto-stop: the instance stops this many hours from now (RenewLease). */
    post: operations['extendLease'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/modelarts-snapshot/lease/warning': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** A page showed the warning for this stop time, so pages opened later do not show it again. */
    post: operations['leaseWarningShown'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/modelarts-snapshot/restore-script': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Write the restore script to the work volume (replacing the last one, never through a link); with after_each_save, also whether each save writes it again. */
    post: operations['writeRestoreScript'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/modelarts-snapshot/library': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Every saved (DEDICATED) image of the organizations this instance saved to, or of namespace, grouped by name, newest first, a page of groups at a time; read from ModelArts at most once per library_cache_seconds. */
    get: operations['imageLibrary'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/modelarts-snapshot/library/delete': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Delete one listed image: its ModelArts registration, and with with_swr_content its SWR image too. Refused (409, nothing sent) for the image the instance runs or starts next from, one still being saved, and one of another organization. */
    post: operations['deleteImage'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/modelarts-snapshot/library/prune': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Keep the newest keep images of a name in an organization: a dry run (the default) lists what would go; with dry_run false and the listed ids, deletes exactly those. */
    post: operations['pruneImages'];
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
      /** @description Save although the last pre-flight report has a block (the size check). The instance and tag checks cannot be forced. Never sent to ModelArts. */
      force?: boolean;
      /** @description Save now, without waiting for the pre-flight walk's size estimate (and despite a size block in the last report); the instance and the tag are still checked before create-image. Recorded in the job as size_check_skipped. Never sent to ModelArts. */
      skip_size_check?: boolean;
      /** @description Stop the instance once the image is ACTIVE (kept in the job's record; never when the save fails). Never sent to ModelArts with create-image. */
      stop_after_save?: boolean;
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
      /**
       * @description ModelArts' own status of the image (DELETED also when ModelArts no longer has it). x-finished lists the statuses that end a job, x-failed those that end it in failure; the server, CLI and front end read both from here.
       * @enum {string}
       */
      status:
        'INIT' | 'CREATING' | 'ACTIVE' | 'CREATE_FAILED' | 'ERROR' | 'DELETED';
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
      /** @description What this save added compared with its parent; null for saves made before manifests were recorded. */
      changes_summary: components['schemas']['ChangesSummary'] | null;
      /** @description Present when the save asked to stop the instance once saved. */
      stop: components['schemas']['StopAfterSave'] | null;
      /** @description The save was started without waiting for the pre-flight's size estimate ('Save now'). */
      size_check_skipped: boolean;
      /** @description ShowNotebook confirmed that the next start of this instance runs from this image (a save re-points the notebook to its image). False until confirmed. */
      starts_next: boolean;
    };
    /** @description Why the last status check of an unfinished save failed. */
    LastError: {
      message: string;
      /** Format: date-time */
      at: string;
      /** @description ModelArts' X-Request-Id for the failed call, when it answered: what Huawei support asks for. */
      request_id: string | null;
    };
    UpstreamError: components['schemas']['Error'] & {
      upstream_status: number | null;
      error_code: string | null;
      error_msg: string | null;
      /** @description ModelArts' X-Request-Id for the failed call, when it answered: what Huawei support asks for. */
      request_id: string | null;
    };
    /** @description One thing a check found. A credential file is given by path and kind only, never its content. */
    CheckItem: {
      /** @description directory; a cache (pip, conda-pkgs, huggingface, torch-hub, npm, apt-lists, apt-archives, tmp); a credential kind (huaweicloud-credentials, private-key, aws-credentials, netrc, git-credentials, docker-config, obsutil-config, pypirc, pip-config, conda-config, npm-config, kube-config, env-file, shell-history, ipython-history, access-key-pair); process; kernel; status; proposed-tag. */
      kind: string;
      path: string | null;
      /** @description Allocated bytes the image would carry (freed bytes in a cleanup). */
      bytes: number | null;
      files: number | null;
      /** @description A process's command, a kernel's name, the instance status or a proposed tag. */
      name: string | null;
      /** @description A process ID or a kernel ID. */
      id: string | null;
    };
    Check: {
      /** @enum {string} */
      id:
        | 'instance'
        | 'tag'
        | 'size'
        | 'caches'
        | 'secrets'
        | 'layers'
        | 'processes'
        | 'kernels';
      /**
       * @description block refuses the save; warn asks the person to confirm.
       * @enum {string}
       */
      level: 'ok' | 'info' | 'warn' | 'block';
      message: string;
      items: components['schemas']['CheckItem'][];
    };
    ScanProgress: {
      files: number;
      bytes: number;
    };
    SizeEstimate: {
      bytes: number;
      files: number;
      limit_bytes: number;
    };
    /** @description What a save would add to the image, and what could make it fail. */
    PreflightReport: {
      /** @enum {string} */
      state: 'running' | 'done' | 'failed';
      /** Format: date-time */
      started_at: string;
      /** Format: date-time */
      finished_at: string | null;
      /** @description The walk stopped at scan_timeout: the figures are a lower bound. */
      partial: boolean;
      /** @description Why the report failed. */
      message: string | null;
      progress: components['schemas']['ScanProgress'];
      estimate: components['schemas']['SizeEstimate'] | null;
      /** @description The directories that add the most, each byte named once. */
      largest: components['schemas']['CheckItem'][];
      checks: components['schemas']['Check'][];
    };
    CleanupResult: {
      cleaned: components['schemas']['CheckItem'][];
      /** @description Bytes the image will no longer carry. */
      freed_bytes: number;
    };
    ManagerCounts: {
      added: number;
      removed: number;
      changed: number;
    };
    /** @description Packages added, removed and changed since the parent image, per manager. */
    ChangesSummary: {
      pip: components['schemas']['ManagerCounts'];
      conda: components['schemas']['ManagerCounts'];
      apt: components['schemas']['ManagerCounts'];
    };
    /** @description The environment: os, python (each env with version, kernels and packages {name, version, installer}), conda (each env's packages), apt, gpu {cuda, cudnn, driver}, image {id, name, swr_path}. */
    Manifest: {
      [key: string]: unknown;
    };
    /** @description parent ('lineage' or 'baseline'), then per manager (pip, conda, apt) {added: [{env, name, version}], removed: [...], changed: [{env, name, old, new}]}. */
    Changes: {
      [key: string]: unknown;
    };
    /** @description Whether the server can save: what it knows about the instance it runs in (IDs and where they came from, endpoint, credentials) and what is missing. */
    Readiness: {
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
    /** @description One page of this instance's jobs, newest first. */
    JobPage: {
      jobs: components['schemas']['Job'][];
      /** @description How many saves this instance has. */
      total: number;
      limit: number;
      offset: number;
    };
    /** @description One package in Changes: added and removed ones have version, changed ones old and new. */
    PackageChange: {
      /** @description The prefix of the Python or conda environment; empty for apt. */
      env: string;
      name: string;
      version?: string;
      old?: string;
      new?: string;
    };
    /** @description What one package manager's part of Changes holds (Changes.pip, Changes.conda, Changes.apt). */
    ManagerChanges: {
      added: components['schemas']['PackageChange'][];
      removed: components['schemas']['PackageChange'][];
      changed: components['schemas']['PackageChange'][];
    };
    /** @description One save in a lineage (the lineage of GET manifest/now and GET jobs/{id}/changes), oldest first. */
    LineageEntry: {
      image_id: string | null;
      /** @description name:tag */
      label: string;
      /** Format: date-time */
      created_at: string;
      swr_path: string | null;
    } & {
      [key: string]: unknown;
    };
    /** @description The save's request to stop the instance once its image is ACTIVE, kept in its record and carried out by whichever process follows the save (server, service kernel or CLI), once. */
    StopAfterSave: {
      /**
       * @description pending until the image ends; stopping once the stop is sent (the instance goes down with this server); stopped when ModelArts accepted it; not_stopped when it was not sent, and reason says why (the save failed or was deleted, another save is in flight, the instance is not running or restarted since).
       * @enum {string}
       */
      state: 'pending' | 'stopping' | 'stopped' | 'not_stopped';
      /** Format: date-time */
      requested_at: string;
      /**
       * Format: date-time
       * @description When the stop was sent, or given up.
       */
      at: string | null;
      /** @description Why the instance was not stopped. */
      reason: string | null;
    };
    /** @description What a stop would erase: packages installed or upgraded per manager since the last save of this container (since: save) or since it started (since: start). */
    AtRisk: {
      pip: number;
      conda: number;
      apt: number;
      /** @enum {string} */
      since: 'save' | 'start';
    };
    /** @description The warning before the auto-stop, the same for every page and transport. */
    LeaseWarning: {
      /**
       * Format: date-time
       * @description The stop time it warns about: a page shows it once per stop time.
       */
      stop_at: string;
      /** @description What the stop would erase, in words; null when nothing installed would be lost. */
      message: string | null;
      /** @description null when it could not be counted. */
      at_risk: components['schemas']['AtRisk'] | null;
      /** @description A page has shown it (POST lease/warning): a page opened or reloaded later does not show it again. */
      delivered: boolean;
    };
    /** @description When ModelArts stops this instance, from its lease (ShowLease) as last read; the lease is read again every refresh_seconds, after an extension and at the warning time, never per page. */
    Lease: {
      /** @description false when the instance has no auto-stop: no countdown. */
      enabled: boolean;
      /** @description TIMING or IDLE. */
      type: string | null;
      /** Format: date-time */
      stop_at: string | null;
      /** @description The stop time may be off: the lease counts idle time, or its create_at and update_at differ (c.ModelArtsSnapshot.lease_stop_basis chooses which one counts). */
      estimate: boolean;
      duration_ms: number | null;
      /**
       * Format: date-time
       * @description When the pages warn; null when the warning is off (warn_before_stop_minutes 0) or there is no stop.
       */
      warn_at: string | null;
      warn_before_stop_minutes: number;
      /**
       * Format: date-time
       * @description The server's clock: pages count down against it.
       */
      server_time: string;
      /**
       * Format: date-time
       * @description When ModelArts was last asked.
       */
      checked_at: string | null;
      refresh_seconds: number;
      /** @description From warn_at until the stop. */
      warning: components['schemas']['LeaseWarning'] | null;
      /** @description The last read failed: the figures are from the read before. */
      last_error: components['schemas']['LastError'] | null;
    };
    /** @description A package the restore script cannot bring back, and why (a file outside the work volume, an editable install, an apt package). */
    NotRestorable: {
      /** @enum {string} */
      manager: 'pip' | 'conda' | 'apt';
      name: string;
      version: string;
      reason: string;
    };
    /** @description The restore script written to the state directory on the work volume: after a stop, it reinstalls in place the pip and conda packages installed since the container started, only those missing (a second run changes nothing), and names what it cannot bring back. */
    RestoreScript: {
      path: string;
      /** @description How to run it in a terminal. */
      command: string;
      /** Format: date-time */
      written_at: string;
      pip: number;
      conda: number;
      not_restorable: components['schemas']['NotRestorable'][];
      /** @description Each save writes it again. */
      after_each_save: boolean;
    };
    /** @description One saved (DEDICATED) image as ModelArts lists it, marked with what this instance knows of it. */
    SavedImage: {
      id: string;
      name: string;
      /** @description The SWR organization. */
      namespace: string;
      tag: string;
      /** @description ModelArts' status: INIT, CREATING, ACTIVE, CREATE_FAILED, ERROR, DELETED. */
      status: string;
      size_kb: number | null;
      /** Format: date-time */
      created_at: string | null;
      swr_path: string | null;
      /** @description Saved by this instance (its job records), or in the lineage its container started with. */
      from_this_instance: boolean;
      /** @description The image this container started from. */
      runs_now: boolean;
      /** @description The image ShowNotebook says the next start runs from, when it is not the one running now. */
      starts_next: boolean;
    };
    /** @description The images of one name in one organization, newest first. */
    ImageGroup: {
      name: string;
      namespace: string;
      /** @description The newest per_group images of the name, newest first. */
      images: components['schemas']['SavedImage'][];
      /** @description How many saved images the name has. */
      total: number;
    };
    /** @description A page of image groups, the group with the newest image first. */
    Library: {
      /** @description The organizations listed: the one asked for, or those this instance has saved to. */
      namespaces: string[];
      groups: components['schemas']['ImageGroup'][];
      total_groups: number;
      total_images: number;
      limit: number;
      offset: number;
      /**
       * Format: date-time
       * @description When ModelArts was asked for the list (it is reused for library_cache_seconds); null when no organization is listed.
       */
      fetched_at: string | null;
    };
    /** @description What one delete removed. */
    DeletedImage: {
      id: string;
      name: string;
      namespace: string;
      tag: string;
      /**
       * @description kept: only the ModelArts registration went, the SWR image keeps its storage; deleted-with-registration: the force flag took it; deleted: DeleteRepoTag took the tag the force flag left. failed: the registration is deleted, but SWR refused to delete the image (swr_error says why).
       * @enum {string}
       */
      swr_content: 'kept' | 'deleted-with-registration' | 'deleted' | 'failed';
      /**
       * @description The force form sent with DeleteImage (the delete_force_form setting), or null.
       * @enum {string|null}
       */
      force: 'query' | 'body' | null;
      /** @description When swr_content is failed: SWR's refusal, in words. */
      swr_error: string | null;
    };
    RefusedImage: {
      image: components['schemas']['SavedImage'];
      /** @enum {string} */
      reason:
        | 'runs-now'
        | 'starts-next'
        | 'creating'
        | 'other-organization'
        | 'failed';
      message: string;
    };
    /** @description Keep the newest keep images of a name; the older ones go unless refused. */
    PruneResult: {
      name: string;
      namespace: string;
      keep: number;
      with_swr_content: boolean;
      dry_run: boolean;
      kept: components['schemas']['SavedImage'][];
      delete: components['schemas']['SavedImage'][];
      refused: components['schemas']['RefusedImage'][];
      deleted: components['schemas']['DeletedImage'][];
      /** @description Listed to delete, but ModelArts refused or did not answer (reason failed); the others were deleted. */
      failed: components['schemas']['RefusedImage'][];
    };
    DeleteImageRequest: {
      /** @description The image ID, as the library lists it. */
      id: string;
      /** @description The SWR organization. */
      namespace: string;
      /**
       * @description Also delete the SWR image and its storage (the force flag, then DeleteRepoTag if the tag is still there). Without it, only the ModelArts registration goes.
       * @default false
       */
      with_swr_content: boolean;
    };
    PruneRequest: {
      name: string;
      /** @description The SWR organization. */
      namespace: string;
      keep: number;
      /** @default false */
      with_swr_content: boolean;
      /**
       * @description List what would go, deleting nothing (the default).
       * @default true
       */
      dry_run: boolean;
      /** @description To delete (dry_run false): the IDs the dry run listed in delete; refused with 409 list-changed if the list is no longer that. */
      ids?: string[];
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
  getReadiness: {
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
          'application/json': components['schemas']['Readiness'];
        };
      };
      403: components['responses']['Forbidden'];
    };
  };
  listJobs: {
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
          'application/json': components['schemas']['JobPage'];
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
  startSave: {
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
      /** @description A save from this instance is unfinished (job), or a pre-flight check refuses it (check, and field when the form can fix it); nothing was sent to ModelArts. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'] & {
            job?: components['schemas']['Job'] | null;
            /** @description The refusing check: instance, tag or size. */
            check?: string;
            field?: string | null;
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
      /** @description The state directory has too little free space for the save's records; nothing was sent to ModelArts. */
      507: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  getJob: {
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
  getPreflight: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The report (running, done or failed). */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['PreflightReport'];
        };
      };
      403: components['responses']['Forbidden'];
      /** @description No report has been made yet. */
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
  startPreflight: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: {
      content: {
        'application/json': {
          /** @description Image name; empty means not given. */
          name?: string | null;
          /** @description SWR organization; empty means not given. */
          namespace?: string | null;
          /** @description Image tag; empty means not given. The tag is checked only when name, namespace and tag are all given. */
          tag?: string | null;
        };
      };
    };
    responses: {
      /** @description The report so far. */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['PreflightReport'];
        };
      };
      /** @description Invalid name, namespace or tag. */
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
      /** @description Body over 64 KiB. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description ModelArts refused the credentials. */
      502: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['UpstreamError'];
        };
      };
      /** @description ModelArts could not be reached. */
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
  cleanCaches: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          paths: string[];
        };
      };
    };
    responses: {
      /** @description What was cleaned. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['CleanupResult'];
        };
      };
      /** @description A path the latest report does not list as a cache, on another mount, or no longer the folder it listed; nothing was deleted. */
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
      /** @description Body over 64 KiB. */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  getJobManifest: {
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
      /** @description The manifest. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Manifest'];
        };
      };
      403: components['responses']['Forbidden'];
      /** @description No manifest is recorded for this save. */
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
  getJobChanges: {
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
      /** @description The changes, with lineage: [{image_id, label, created_at, swr_path, parent, packages}]. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Changes'];
        };
      };
      403: components['responses']['Forbidden'];
      /** @description No manifest is recorded for this save. */
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
  getRebuildFile: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The image ID. */
        id: string;
        file: 'Dockerfile' | 'requirements.txt' | 'environment.yml';
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The file. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'text/plain': string;
        };
      };
      403: components['responses']['Forbidden'];
      /** @description No manifest is recorded for this save. */
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
  getManifestNow: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description manifest, changes, summary, lineage, depth (this save's number in the lineage) and warn_depth. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': {
            manifest: components['schemas']['Manifest'];
            changes: components['schemas']['Changes'];
            summary: components['schemas']['ChangesSummary'];
            lineage: {
              [key: string]: unknown;
            }[];
            depth: number;
            warn_depth: number;
          };
        };
      };
      403: components['responses']['Forbidden'];
    };
  };
  getLease: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The lease. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Lease'];
        };
      };
      403: components['responses']['Forbidden'];
      /** @description Not ready: the instance or credentials are unknown. */
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
      /** @description ModelArts refused the first read of the lease. */
      502: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  extendLease: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          hours: number;
        };
      };
    };
    responses: {
      /** @description The lease. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Lease'];
        };
      };
      /** @description hours is not a whole number from 1 to 72; nothing was sent to ModelArts. */
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
      /** @description ModelArts refused, in words: the instance is not running (ModelArts.6327), the time is not in the future (6346), or another operation is in progress (6357); error_code and request_id say which call. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description Not ready. */
      412: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description ModelArts refused otherwise. */
      502: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  leaseWarningShown: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': {
          /** Format: date-time */
          stop_at: string;
        };
      };
    };
    responses: {
      /** @description The lease. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Lease'];
        };
      };
      /** @description stop_at is not the stop time of the current warning. */
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
  writeRestoreScript: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: {
      content: {
        'application/json': {
          after_each_save?: boolean;
        };
      };
    };
    responses: {
      /** @description The script written. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['RestoreScript'];
        };
      };
      /** @description A body other than {} or {after_each_save: true|false}. */
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
  imageLibrary: {
    parameters: {
      query?: {
        /** @description One organization instead of those this instance saved to. */
        namespace?: string;
        /** @description How many groups (default 20). */
        limit?: number;
        /** @description How many groups to skip. */
        offset?: number;
        /** @description How many of each name's newest images to include (default 10). */
        per_group?: number;
        /** @description true reads ModelArts again now. */
        refresh?: 'true' | 'false';
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page of groups. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Library'];
        };
      };
      /** @description A bad namespace, limit, offset or refresh. */
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
      /** @description Not ready. */
      412: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description ModelArts refused the list. */
      502: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description ModelArts did not answer. */
      504: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  deleteImage: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['DeleteImageRequest'];
      };
    };
    responses: {
      /** @description What was deleted. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['DeletedImage'];
        };
      };
      /** @description A bad body; nothing was sent. */
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
      /** @description The organization has no such saved image. */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description Refused, with the reason; nothing was deleted. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'] & {
            /** @enum {string} */
            reason:
              | 'runs-now'
              | 'starts-next'
              | 'creating'
              | 'other-organization'
              | 'list-changed';
            id?: string | null;
          };
        };
      };
      /** @description Not ready. */
      412: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description ModelArts or SWR refused. */
      502: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description ModelArts or SWR did not answer. */
      504: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  pruneImages: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['PruneRequest'];
      };
    };
    responses: {
      /** @description The plan, and on a real run what was deleted. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['PruneResult'];
        };
      };
      /** @description A bad body; nothing was sent. */
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
      /** @description The list to delete changed since the dry run (list-changed); nothing was deleted. */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'] & {
            /** @enum {string} */
            reason:
              | 'runs-now'
              | 'starts-next'
              | 'creating'
              | 'other-organization'
              | 'list-changed';
            id?: string | null;
          };
        };
      };
      /** @description Not ready. */
      412: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description ModelArts or SWR refused. */
      502: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description ModelArts or SWR did not answer. */
      504: {
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
