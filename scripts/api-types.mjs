// Writes src/api.d.ts, the front end's types of the local REST API, from the OpenAPI document
// the server ships, so that the two cannot drift. `--check` fails instead when the file is not
// what the document gives (jest runs it).
import { readFileSync, writeFileSync } from 'fs';
import openapiTS, { astToString } from 'openapi-typescript';
import * as prettier from 'prettier';

const DOCUMENT = 'jupyterlab_modelarts_snapshot/openapi.json';
const TARGET = 'src/api.d.ts';
const BANNER = `/**
 * The local REST API's types, generated from ${DOCUMENT} by \`jlpm build:api\`.
 * Do not edit: change the document and run it again.
 */
`;

const schema = JSON.parse(readFileSync(DOCUMENT, 'utf8'));
const options = (await prettier.resolveConfig(TARGET)) ?? {};
const text = await prettier.format(BANNER + astToString(await openapiTS(schema)), {
  ...options,
  parser: 'typescript'
});

if (process.argv.includes('--check')) {
  if (readFileSync(TARGET, 'utf8') !== text) {
    console.error(`${TARGET} does not match ${DOCUMENT}: run \`jlpm build:api\`.`);
    process.exit(1);
  }
} else {
  writeFileSync(TARGET, text);
}
