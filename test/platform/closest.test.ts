import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closest, distance } from '../../src/platform/closest.js';

const ids = ['autocomplete', 'bundle:create', 'bundle:inspect', 'bundle:load', 'checks', 'doctor', 'env:init', 'fix', 'help', 'info', 'shellenv', 'version'];

describe('did-you-mean', () => {
  it('distance counts inserts, deletes and substitutions', () => {
    assert.equal(distance('doctr', 'doctor'), 1);
    assert.equal(distance('verison', 'version'), 2);
    assert.equal(distance('', 'fix'), 3);
    assert.equal(distance('fix', 'fix'), 0);
  });

  it('closest: near names and prefixes, best first; nothing for a far name', () => {
    assert.deepEqual(closest('doctr', ids), ['doctor']);
    assert.deepEqual(closest('verison', ids), ['version']);
    assert.deepEqual(closest('bundle:creat', ids), ['bundle:create']);
    assert.deepEqual(closest('shell', ids), ['shellenv', 'help'], 'a prefix first');
    assert.deepEqual(closest('xyzzy', ids), []);
  });

  it('closest: check ids and dotted config keys as well', () => {
    assert.deepEqual(closest('go-versio', ['go-version', 'gnu-tar', 'go-vendor', 'go-modules']), ['go-version']);
    assert.deepEqual(closest('mirrors.url', ['mirrors.urls', 'mirrors.images']), ['mirrors.urls']);
    assert.deepEqual(closest('timeout', ['timeoutMs', 'commandTimeoutMs']), ['timeoutMs']);
    assert.deepEqual(closest('a', ['go', 'gem']), [], 'not a whole replacement');
    assert.deepEqual(closest('ab', ['go', 'gem']), []);
  });
});
