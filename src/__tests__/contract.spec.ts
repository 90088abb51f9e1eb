/**
 * The front end against the files the server reads: the types and the lists of the OpenAPI
 * document and the rules of rules.json are generated from them (`jlpm build:api`), the form's
 * rules are the document's, and each word table has a word for each value of its enum.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { LEVEL_WORDS } from '../format';
import { RULES } from '../generated/rules';
import {
  CHECK_IDS,
  CHECK_LEVELS,
  FAILED,
  FINISHED,
  REBUILD_FILES,
  STATUSES
} from '../generated/vocabulary';

const ROOT = path.join(__dirname, '..', '..');
const DOCUMENT = JSON.parse(
  fs.readFileSync(
    path.join(ROOT, 'jupyterlab_modelarts_snapshot', 'openapi.json'),
    'utf8'
  )
);

describe('the REST API contract', () => {
  it('src/openapi.d.ts, vocabulary.ts and rules.ts are what openapi.json and rules.json generate', () => {
    // Throws (exit 1, with the reason) when a file and its source differ.
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

  it("the status sets are the document's Job.status enum and its x-finished and x-failed", () => {
    const status = DOCUMENT.components.schemas.Job.properties.status;
    expect(STATUSES).toEqual(status.enum);
    expect(FINISHED).toEqual(status['x-finished']);
    expect(FAILED).toEqual(status['x-failed']);
  });

  it("the check levels and ids are the document's Check enums", () => {
    const check = DOCUMENT.components.schemas.Check.properties;
    expect(CHECK_LEVELS).toEqual(check.level.enum);
    expect(CHECK_IDS).toEqual(check.id.enum);
  });

  it('the level words have one entry for each level of Check.level, and no other', () => {
    const levels = DOCUMENT.components.schemas.Check.properties.level.enum;
    expect(Object.keys(LEVEL_WORDS).sort()).toEqual([...levels].sort());
  });

  it("the rebuild files are the document's {file} enum", () => {
    const parameters =
      DOCUMENT.paths['/modelarts-snapshot/jobs/{id}/rebuild/{file}'].get
        .parameters;
    const file = parameters.find((p: { name: string }) => p.name === 'file');
    expect(REBUILD_FILES).toEqual(file.schema.enum);
  });
});
