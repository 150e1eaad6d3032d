import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entries, get, parseDotenv, serialize, set } from '../../src/platform/dotenv.js';

const SAMPLE = [
  '# Istio build settings',
  'export HUB=docker.io/jane',
  '',
  "export TAG='1.4-dev'   # my tag",
  'GOPROXY="https://proxy.example/a b"',
  'WEIRD="say \\"hi\\" $x"',
  'EQ=a=b=c',
  '  # indented comment',
  'export KEEP=1',
].join('\r\n');

describe('.env parsing and writing', () => {
  it('parses export prefixes, quotes, comments, values with =, CRLF', () => {
    const doc = parseDotenv(SAMPLE);
    assert.deepEqual(
      entries(doc).map((e) => [e.key, e.value, e.line]),
      [
        ['HUB', 'docker.io/jane', 2],
        ['TAG', '1.4-dev', 4],
        ['GOPROXY', 'https://proxy.example/a b', 5],
        ['WEIRD', 'say "hi" $x', 6],
        ['EQ', 'a=b=c', 7],
        ['KEEP', '1', 9],
      ],
    );
  });

  it('a round trip with no change is byte for byte', () => {
    for (const text of [SAMPLE, SAMPLE + '\r\n', 'A=1\nB=2\n', 'A=1', '', '\n\n# only comments\n']) {
      assert.equal(serialize(parseDotenv(text)), text);
    }
  });

  it('changing a value changes only that value, keeping quoting, comment and CRLF', () => {
    const out = serialize(set(parseDotenv(SAMPLE), 'TAG', '1.5-dev'));
    assert.equal(out, SAMPLE.replace("export TAG='1.4-dev'   # my tag", "export TAG='1.5-dev'   # my tag"));
    const hub = serialize(set(parseDotenv(SAMPLE), 'HUB', 'gcr.io/my-proj'));
    assert.equal(hub, SAMPLE.replace('export HUB=docker.io/jane', 'export HUB=gcr.io/my-proj'));
  });

  it('a new key is appended with the file\'s line ending; values needing quotes get them', () => {
    const out = serialize(set(parseDotenv('A=1\r\nB=2'), 'HUB', 'x y'));
    assert.equal(out, 'A=1\r\nB=2\r\nexport HUB="x y"\r\n');
    assert.equal(get(parseDotenv(out), 'HUB')?.value, 'x y');
    assert.equal(serialize(set(parseDotenv(''), 'TAG', 't')), 'export TAG=t\n');
  });

  it('the last assignment wins, as when sourced', () => {
    assert.equal(get(parseDotenv('HUB=a\nHUB=b\n'), 'HUB')?.value, 'b');
    assert.equal(serialize(set(parseDotenv('HUB=a\nHUB=b\n'), 'HUB', 'c')), 'HUB=a\nHUB=c\n');
  });
});
