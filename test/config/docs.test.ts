import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { flagReferenceMarkdown } from '../../src/config/help.js';

// Tests run from the repository root (npm test, node --test dist/test/...).
test('docs/configuration.md flag table is the one generated from the flag table', () => {
  const doc = readFileSync('docs/configuration.md', 'utf8');
  const begin = doc.indexOf('<!-- BEGIN FLAG TABLE');
  const end = doc.indexOf('<!-- END FLAG TABLE -->');
  assert.ok(begin >= 0 && end > begin, 'markers present');
  const table = doc.slice(doc.indexOf('\n', begin) + 1, end);
  assert.equal(table, flagReferenceMarkdown(), 'regenerate the table with flagReferenceMarkdown()');
});
