import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { notFound } from '../../src/cli/suggest.js';

const ids = ['autocomplete', 'bundle:create', 'bundle:inspect', 'bundle:load', 'checks', 'doctor', 'env:init', 'fix', 'help', 'info', 'shellenv', 'version'];
const config = { bin: 'devenv', commands: [...ids.map((id) => ({ id, aliases: [] })), { id: 'autocomplete:script', aliases: [], hidden: true }] } as never;

describe('did-you-mean', () => {
  it('notFound: words of an unknown id that match nothing become arguments of the closest command; hidden commands are never suggested', () => {
    const nf = notFound(config, 'doctr:foo', ['--only', 'a b']);
    assert.equal(nf.message, 'doctr foo is not a devenv command.');
    assert.deepEqual(nf.matches, ['doctor']);
    assert.deepEqual(nf.rest, ['foo', '--only', 'a b']);
    assert.deepEqual(nf.suggestions, ["devenv doctor foo --only 'a b'", 'devenv help']);
    assert.deepEqual(notFound(config, 'autocomplete:scrip', []).matches, ['autocomplete']);
    assert.match(notFound(config, '--json', []).message, /put flags after the command/);
  });

  it('notFound: credentials in the arguments are not repeated', () => {
    const nf = notFound(config, 'doctr', ['--config', 'https://jane:s3cret@example.test/c.yaml']);
    assert.ok(nf.suggestions.every((s) => !s.includes('s3cret')), nf.suggestions.join('\n'));
  });
});
