import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstGoProxy } from '../../src/features/goproxy.js';

describe('firstGoProxy: the module proxy whose failure ends go mod download', () => {
  it('the first http(s) entry before "," or alone', () => {
    assert.equal(firstGoProxy('https://proxy.golang.org,direct'), 'https://proxy.golang.org');
    assert.equal(firstGoProxy('http://127.0.0.1:3000/goproxy'), 'http://127.0.0.1:3000/goproxy');
    assert.equal(firstGoProxy(' https://a.example , https://b.example'), 'https://a.example');
  });
  it('nothing to probe: "|" (go tries the next entry on any error), direct, off, file://, empty', () => {
    assert.equal(firstGoProxy('https://a.example|https://b.example'), undefined);
    assert.equal(firstGoProxy('direct'), undefined);
    assert.equal(firstGoProxy('off'), undefined);
    assert.equal(firstGoProxy('file:///srv/goproxy,direct'), undefined);
    assert.equal(firstGoProxy(''), undefined);
  });
});
