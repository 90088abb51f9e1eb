/**
 * The same table of valid and invalid inputs that the pytest suite runs (tests/validation-cases.json).
 */
import { checkField, defaultTag, Field } from '../validation';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const table = require('../../tests/validation-cases.json');

interface ICase {
  field: Field;
  value: string;
  repeat?: number;
  valid: boolean;
}

const cases: ICase[] = table.cases;

describe('shared validation table', () => {
  it.each(
    cases.map(c => [
      `${c.field} ${JSON.stringify(c.value)}×${c.repeat ?? 1}`,
      c
    ])
  )('%s', (_title, c) => {
    const value = (c as ICase).value.repeat((c as ICase).repeat ?? 1);
    const problem = checkField((c as ICase).field, value);
    if ((c as ICase).valid) {
      expect(problem).toBeNull();
    } else {
      expect(problem).not.toBeNull();
      // It says how to fix the value: the field's own hint ends every message.
      expect(problem).toMatch(/(Use |Keep the description)[^]*\.$/);
    }
  });

  it('covers every field both ways', () => {
    for (const field of ['name', 'namespace', 'tag', 'description']) {
      const outcomes = new Set(
        cases.filter(c => c.field === field).map(c => c.valid)
      );
      expect(outcomes).toEqual(new Set([true, false]));
    }
  });
});

describe('defaultTag', () => {
  const now = new Date(Date.UTC(2026, 10, 27, 8, 5, 9));
  it('fills the date as ModelArts example does', () => {
    expect(defaultTag('{date}', now)).toBe('20261127');
    expect(defaultTag('v{date}-{time}', now)).toBe('v20261127-080509');
    expect(defaultTag('{datetime}', now)).toBe('20261127080509');
  });
  it('gives a valid tag', () => {
    expect(checkField('tag', defaultTag('{datetime}', now))).toBeNull();
  });
});
