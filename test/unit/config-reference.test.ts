/** docs/configuration.md's reference is the schema's: a variable missing, extra or described differently fails here. */
import fs from 'node:fs';
import { CONFIG_VARIABLES } from '../../src/config';
import { REFERENCE_PAGE, pageWithReference, referenceRows, renderReference } from '../../scripts/config-reference';

const page = fs.readFileSync(REFERENCE_PAGE, 'utf8');

/** The table rows between the markers, by variable. */
function rowsOf(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .map((line) => [/^\| `([A-Z0-9_]+)` \|/.exec(line)?.[1], line] as const)
      .filter((entry): entry is [string, string] => entry[0] !== undefined),
  );
}

test('every variable has a concern and a one-line description', () => {
  const rows = referenceRows();
  expect(rows.map((r) => r.variable)).toEqual([...CONFIG_VARIABLES]);
  expect(rows.filter((r) => !r.concern || !r.description.trim() || r.description.includes('\n')).map((r) => r.variable)).toEqual([]);
});

test('the page lists every variable of the schema, and only those, as the schema describes them (fix: npm run docs:config)', () => {
  const generated = rowsOf(renderReference());
  const begin = page.indexOf('<!-- BEGIN configuration reference');
  expect(begin).toBeGreaterThan(0);
  const onPage = rowsOf(page.slice(begin));
  expect({
    missing: [...generated.keys()].filter((v) => !onPage.has(v)),
    extra: [...onPage.keys()].filter((v) => !generated.has(v)),
    different: [...generated].filter(([v, row]) => onPage.has(v) && onPage.get(v) !== row).map(([v]) => v),
  }).toEqual({ missing: [], extra: [], different: [] });
  // Order, the process list and the markers too.
  expect(pageWithReference(page)).toBe(page);
});
