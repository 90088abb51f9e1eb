/**
 * The front end against the OpenAPI document the server ships: the types are generated from it
 * (`jlpm build:api`), and the form's rules are the document's.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { RULES } from '../validation';

const ROOT = path.join(__dirname, '..', '..');
const DOCUMENT = JSON.parse(
  fs.readFileSync(
    path.join(ROOT, 'jupyterlab_modelarts_snapshot', 'openapi.json'),
    'utf8'
  )
);

describe('the REST API contract', () => {
  it('src/api.d.ts is what the OpenAPI document generates', () => {
    // Throws (exit 1, with the reason) when the file and the document differ.
    execFileSync(process.execPath, ['scripts/api-types.mjs', '--check'], {
      cwd: ROOT,
      stdio: 'pipe'
    });
  });

  it("the form's rules are the document's SaveRequest rules", () => {
    const schema = DOCUMENT.components.schemas.SaveRequest;
    for (const [field, rule] of Object.entries(RULES)) {
      const property = schema.properties[field];
      expect(property).toBeDefined();
      expect(rule.maxLength).toBe(property.maxLength);
      expect(rule.required).toBe(schema.required.includes(field));
      // Optional fields also accept '' (meaning "the default") in the document.
      const documented = (property.pattern ?? null)?.replace(/^\^\$\|/, '');
      expect(rule.pattern?.source ?? null).toBe(documented ?? null);
    }
  });
});
