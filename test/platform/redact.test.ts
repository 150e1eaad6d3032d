import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redact, redactDeep, redactUrl } from '../../src/platform/redact.js';

describe('redaction', () => {
  it('userinfo of every URL: user:password and a token alone', () => {
    assert.equal(redactUrl('https://user:pass@host/x'), 'https://user:***@host/x');
    assert.equal(redactUrl('GOPROXY=https://TOKEN@proxy.example,direct'), 'GOPROXY=https://***@proxy.example,direct');
    assert.equal(redactUrl('a https://t@h and http://u:p@h2:8080/p'), 'a https://***@h and http://u:***@h2:8080/p');
    assert.equal(redactUrl('https://host/path@not-userinfo'), 'https://host/path@not-userinfo');
    assert.equal(redactUrl('"url":"https://u:p@h"'), '"url":"https://u:***@h"');
    assert.deepEqual(redactDeep({ args: ['--source', 'https://g:pw@gems.example/'] }), { args: ['--source', 'https://g:***@gems.example/'] });
    assert.equal(redact('token abcdef', { MY_TOKEN: 'abcdef' }), 'token ***');
  });

  it("a header's credentials alone (AUTH_HEADER: 'Authorization: Bearer …'), as a server may echo them", () => {
    const env = { AUTH_HEADER: 'Authorization: Bearer s3cr3t-t0ken' };
    assert.equal(redact('sent Authorization: Bearer s3cr3t-t0ken', env), 'sent ***');
    assert.equal(redact('401: invalid token s3cr3t-t0ken', env), '401: invalid token ***');
    assert.equal(redact('scheme Bearer s3cr3t-t0ken', env), 'scheme ***');
    assert.equal(redact('the Authorization header was refused', env), 'the Authorization header was refused', 'the header name alone is no secret');
    assert.equal(redact('x', { API_KEY: 'a:b' }), 'x');
    assert.equal(redact('all checks pass; user:pass was sent', { REGISTRY_AUTH: 'user:pass' }), 'all checks pass; *** was sent', 'not a header: only the whole value');
    assert.equal(redact('short abc stays', { AUTH_HEADER: 'X-Token: abc' }), 'short abc stays', 'a short piece alone is no credential');
  });

  it('is linear: hostile inputs of 80k characters and 10 MB take milliseconds (issue 12 item 12)', () => {
    const inputs = ['a'.repeat(80_000), '://'.repeat(30_000), 'a://@'.repeat(20_000), 'x:/'.repeat(30_000), `https://${'u'.repeat(80_000)}`, 'FROM '.padEnd(10_000_000, 'a')];
    for (const s of inputs) {
      const t0 = process.hrtime.bigint();
      redact(s, { SOME_TOKEN: 'abcd' });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      assert.ok(ms < 500, `${s.length} chars took ${ms.toFixed(0)} ms`);
    }
  });
});
