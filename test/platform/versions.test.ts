import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareGoVersions, isRelease, parseGoVersion, versionLess } from '../../src/platform/versions.js';

describe('Go versions, ordered as Go orders them', () => {
  it('release candidates and betas sort before the release; the language version before both', () => {
    const sorted = ['1.21', '1.21rc1', '1.21rc2', '1.21.0', '1.21.1', '1.22beta1', '1.22rc1', '1.22.0'];
    const shuffled = [...sorted].reverse();
    assert.deepEqual(shuffled.sort(compareGoVersions), sorted);
  });

  // Regression: semver.coerce made go1.21rc2 equal to 1.21.0.
  it('go1.21rc2 does not satisfy 1.21.0 but satisfies the language version 1.21', () => {
    assert.equal(versionLess('go1.21rc2', '1.21.0'), true);
    assert.equal(versionLess('go1.21rc2', '1.21'), false);
  });

  it('before 1.21, "1.20" names the first release (1.20.0)', () => {
    assert.equal(compareGoVersions('go1.20', '1.20.0'), 0);
    assert.equal(versionLess('1.13', '1.13.0'), false);
    assert.equal(versionLess('1.12.17', '1.13'), true);
  });

  it('parses and refuses', () => {
    assert.deepEqual(parseGoVersion('go1.22.3'), { major: 1, minor: 22, patch: 3, kind: '', pre: 0 });
    for (const bad of ['', 'go', '1.', '1.x', '1.21.0-bigcorp', '1.21rc', 'x1.2']) assert.equal(parseGoVersion(bad), null, bad);
    assert.equal(versionLess('garbage', '1.21'), false);
    assert.equal(isRelease('1.21rc1'), false);
    assert.equal(isRelease('1.21.3'), true);
  });
});
