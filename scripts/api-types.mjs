// Writes the front end's generated modules (src/generated/) from the files the server reads,
// so that the two cannot drift:
// - openapi.d.ts, the types of the local REST API, from openapi.json;
// - vocabulary.ts, the lists in openapi.json's enums (job statuses and which of them end a job
//   or end it in failure, check levels and ids, rebuild files, package managers);
// - rules.ts, the input rules of a save, from rules.json.
// `--check` fails instead when a file is not what its source gives (jest runs it).
import { readFileSync, writeFileSync } from 'fs';
import openapiTS, { astToString } from 'openapi-typescript';
import * as prettier from 'prettier';

const DOCUMENT = 'jupyterlab_modelarts_snapshot/openapi.json';
const RULES = 'jupyterlab_modelarts_snapshot/rules.json';

const banner = (source, what) => `/**
 * ${what}, generated from ${source} by \`jlpm build:api\`.
 * Do not edit: change ${source} and run it again.
 */
`;

const document = JSON.parse(readFileSync(DOCUMENT, 'utf8'));
const rules = JSON.parse(readFileSync(RULES, 'utf8'));
const schemas = document.components.schemas;

/** The operation of the document with this operationId. */
function operation(id) {
  for (const item of Object.values(document.paths)) {
    for (const candidate of Object.values(item)) {
      if (candidate.operationId === id) {
        return candidate;
      }
    }
  }
  throw new Error(`${DOCUMENT} has no operation ${id}`);
}

/** A list of the document that must be there: a missing one is a broken contract. */
function list(value, where) {
  if (!Array.isArray(value) || value.length === 0) {
    throw new Error(`${DOCUMENT}: ${where} is not a list`);
  }
  return value;
}

const status = schemas.Job.properties.status;
const rebuildFile = operation('getRebuildFile').parameters.find(
  parameter => parameter.in === 'path' && parameter.name === 'file'
);

function constant(name, comment, type, values) {
  return `/** ${comment} */
export const ${name}: readonly ${type}[] = ${JSON.stringify(values)};
`;
}

const vocabulary = `${banner(DOCUMENT, "The lists of the REST API's enums")}
import type { components, operations } from './openapi';

type Schemas = components['schemas'];

/** ModelArts' status of an image, as a job records it (\`Job.status\`). */
export type Status = Schemas['Job']['status'];
/** How much a check of the pre-flight report weighs (\`Check.level\`). */
export type CheckLevel = Schemas['Check']['level'];
/** The checks of the pre-flight report (\`Check.id\`). */
export type CheckId = Schemas['Check']['id'];
/** The files that rebuild a save's environment (\`GET jobs/{id}/rebuild/{file}\`). */
export type RebuildFile =
  operations['getRebuildFile']['parameters']['path']['file'];
/** The package managers a manifest knows (\`ChangesSummary\`). */
export type Manager = keyof Schemas['ChangesSummary'];

${constant('STATUSES', 'Every status of a job.', 'Status', list(status.enum, 'Job.status.enum'))}
${constant('FINISHED', 'The statuses that end a job (`x-finished`).', 'Status', list(status['x-finished'], 'Job.status.x-finished'))}
${constant('FAILED', 'The statuses that end a job in failure (`x-failed`).', 'Status', list(status['x-failed'], 'Job.status.x-failed'))}
${constant('CHECK_LEVELS', 'The levels of a check, lightest first.', 'CheckLevel', list(schemas.Check.properties.level.enum, 'Check.level.enum'))}
${constant('CHECK_IDS', 'The checks, in the order the report gives them.', 'CheckId', list(schemas.Check.properties.id.enum, 'Check.id.enum'))}
${constant('REBUILD_FILES', 'The rebuild files, in the order they are offered.', 'RebuildFile', list(rebuildFile?.schema?.enum, 'getRebuildFile {file}'))}
/** The kernelspec of the service kernel, which serves these operations over a comm when the server extension is not loaded. */
export const SERVICE_KERNEL = ${JSON.stringify(document.info['x-service-kernel'].kernel_name)};
/** The comm target the service kernel answers on. */
export const COMM_TARGET = ${JSON.stringify(document.info['x-service-kernel'].comm_target)};
${constant('MANAGERS', 'The package managers, in the order they are shown.', 'Manager', list(schemas.ChangesSummary.required, 'ChangesSummary.required'))}
`;

const ruleEntries = Object.entries(rules).map(
  ([field, rule]) =>
    `  ${field}: {
    required: ${JSON.stringify(rule.required)},
    maxLength: ${JSON.stringify(rule.max_length)},
    pattern: ${rule.pattern === null ? 'null' : `new RegExp(${JSON.stringify(rule.pattern)})`}
  }`
);
const rulesModule = `${banner(RULES, 'The input rules of a save, the server\'s own')}
export interface IRule {
  required: boolean;
  /** In characters (code points), as the server counts them. */
  maxLength: number;
  pattern: RegExp | null;
}

/** Each field of a save request and its rule. */
export const RULES = {
${ruleEntries.join(',\n')}
} satisfies Record<string, IRule>;
`;

const format = async (target, text) =>
  prettier.format(text, {
    ...((await prettier.resolveConfig(target)) ?? {}),
    parser: 'typescript'
  });

const outputs = {
  'src/generated/openapi.d.ts': await format(
    'src/generated/openapi.d.ts',
    banner(DOCUMENT, "The local REST API's types") +
      astToString(await openapiTS(document))
  ),
  'src/generated/vocabulary.ts': await format('src/generated/vocabulary.ts', vocabulary),
  'src/generated/rules.ts': await format('src/generated/rules.ts', rulesModule)
};

if (process.argv.includes('--check')) {
  let stale = false;
  for (const [target, text] of Object.entries(outputs)) {
    let current = null;
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      // missing: stale
    }
    if (current !== text) {
      console.error(`${target} is not what its source gives: run \`jlpm build:api\`.`);
      stale = true;
    }
  }
  process.exit(stale ? 1 : 0);
} else {
  for (const [target, text] of Object.entries(outputs)) {
    writeFileSync(target, text);
  }
}
