import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { findDockerfiles, normalizeRef, parseFroms, readBaseImages } from '../../src/istio/dockerfiles.js';
import { istioFixture, rmrf, tempDir } from '../helpers/env.js';

describe('Dockerfile FROM parsing', () => {
  it('substitutes ARG defaults, ignores --platform, and does not mistake stages for images', () => {
    const text = [
      '# syntax',
      'ARG BASE_DISTRIBUTION=default',
      'ARG BASE_VERSION=1.4-dev.4',
      'ARG DISTROLESS=gcr.io/distroless/static',
      'FROM ${DISTROLESS}:latest as distroless',
      'FROM --platform=linux/amd64 docker.io/istio/base:${BASE_VERSION} AS default',
      'ARG LATE=ignored',
      'FROM ${BASE_DISTRIBUTION}',
      'COPY --from=distroless /x /y',
      'FROM distroless',
      'FROM $UNSET_ARG/thing',
      'FROM ${WITH_DEFAULT:-gcr.io/distroless/cc}:latest',
      'FROM scratch',
    ].join('\n');
    const froms = parseFroms(text, 'pilot/docker/Dockerfile.pilot');
    assert.deepEqual(
      froms.map((f) => [f.image, f.line, f.unresolved]),
      [
        ['gcr.io/distroless/static:latest', 5, false],
        ['docker.io/istio/base:1.4-dev.4', 6, false],
        ['$UNSET_ARG/thing', 11, true],
        ['gcr.io/distroless/cc:latest', 12, false],
      ],
    );
  });

  it('build args replace declared ARG defaults only, and mark which stages the final stage needs (FROM and COPY --from)', () => {
    const text = [
      'ARG BASE_DISTRIBUTION=debug',
      'ARG BASE_VERSION=latest',
      'ARG ISTIO_BASE_REGISTRY=gcr.io/istio-release',
      'FROM ${ISTIO_BASE_REGISTRY}/base:${BASE_VERSION} AS debug',
      'FROM ${ISTIO_BASE_REGISTRY}/distroless:${BASE_VERSION} AS distroless',
      'FROM golang:1.22 AS builder',
      'FROM ${BASE_DISTRIBUTION:-debug}',
      'COPY --from=builder /out/x /usr/local/bin/x',
    ].join('\n');
    const args = new Map([['BASE_VERSION', 'v9'], ['ISTIO_BASE_REGISTRY', 'm.example/rel'], ['NOT_DECLARED', 'x']]);
    const froms = parseFroms(text, 'Dockerfile', args);
    assert.deepEqual(
      froms.map((f) => [f.image, f.reachable]),
      [
        ['m.example/rel/base:v9', true],
        ['m.example/rel/distroless:v9', false],
        ['golang:1.22', true],
      ],
    );
    const distroless = parseFroms(text, 'Dockerfile', new Map([...args, ['BASE_DISTRIBUTION', 'distroless']]));
    assert.deepEqual(distroless.filter((f) => f.reachable).map((f) => f.image), ['m.example/rel/distroless:v9', 'golang:1.22']);
  });

  it('joins continuation lines and keeps the first line number', () => {
    const froms = parseFroms('FROM \\\n  gcr.io/distroless/cc:latest \\\n  AS base\nFROM base\n', 'Dockerfile');
    assert.deepEqual(froms.map((f) => [f.image, f.line]), [['gcr.io/distroless/cc:latest', 1]]);
  });

  it('normalizes untagged references to :latest and keeps digests and registry ports', () => {
    assert.equal(normalizeRef('gcr.io/distroless/static'), 'gcr.io/distroless/static:latest');
    assert.equal(normalizeRef('localhost:5000/x'), 'localhost:5000/x:latest');
    assert.equal(normalizeRef('gcr.io/distroless/static@sha256:abc'), 'gcr.io/distroless/static@sha256:abc');
  });

  it('finds Dockerfiles in the tree, skipping vendor/ and out/', async () => {
    const dir = await tempDir();
    try {
      await istioFixture(dir, {
        files: {
          'pilot/docker/Dockerfile.pilot': 'FROM gcr.io/distroless/static:latest\n',
          'docker/Dockerfile.distroless': 'FROM gcr.io/distroless/static\n',
          'samples/x/Dockerfile': 'FROM alpine\n',
          'vendor/foo/Dockerfile': 'FROM gcr.io/distroless/base\n',
          'out/linux_amd64/Dockerfile.x': 'FROM gcr.io/distroless/base\n',
          'tools/a.Dockerfile': 'FROM gcr.io/distroless/cc\n',
        },
      });
      assert.deepEqual(await findDockerfiles(dir), ['docker/Dockerfile.distroless', 'pilot/docker/Dockerfile.pilot', 'samples/x/Dockerfile', 'tools/a.Dockerfile']);
      const images = (await readBaseImages(dir)).map((f) => `${f.image}@${f.file}:${f.line}`).sort();
      assert.equal(images.length, 4);
      assert.ok(!images.some((i) => i.includes('vendor') || i.includes('out/')), images.join());
      void path;
    } finally {
      await rmrf(dir);
    }
  });
});
