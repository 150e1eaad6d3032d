/**
 * The container-build files of an Istio tree, written in the shape of each
 * release line (our own text, not Istio's): Makefile.overrides.mk and Makefile
 * (BUILD_WITH_CONTAINER), the build-tools image (IMG in Makefile for 1.4–1.5,
 * common/scripts/setup_env.sh from 1.6), Makefile.core.mk's BASE_VERSION /
 * ISTIO_BASE_REGISTRY, the list of what `make docker` builds
 * (tools/istio-docker.mk up to 1.15, tools/docker.yaml from 1.16) and the
 * Dockerfiles it names, plus decoys make docker does not build (samples/, base
 * images).
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export const CONTAINER_FAMILIES = ['1.4', '1.5', '1.6-1.7', '1.8-1.16', '1.20+', 'master'] as const;
export type ContainerFamily = (typeof CONTAINER_FAMILIES)[number];

export interface ContainerFixtureOptions {
  /** IMAGE_VERSION / the IMG tag. */
  imageVersion?: string;
  /** Digests (sha256:…) for the digest-pinned FROM lines of the lines that pin them. */
  pins?: { static?: string; cc?: string; iptables?: string };
}

export interface ContainerFixture {
  /** The IMG the tree names. */
  img: string;
  /** Where IMG is written (file:line). */
  imgSource: string;
  /** BUILD_WITH_CONTAINER's default and where. */
  mode: { value: '0' | '1'; source: string };
  /** The images make docker needs (normalized), sorted. */
  baseImages: string[];
  baseVersion: string;
}

const ZEROS = `sha256:${'0'.repeat(64)}`;

async function put(root: string, rel: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await fs.writeFile(path.join(root, rel), text);
}

/** Appends to a file another generator may have written (Makefile, Makefile.core.mk), or creates it. */
async function append(root: string, rel: string, text: string): Promise<number> {
  const p = path.join(root, rel);
  let before = '';
  try {
    before = await fs.readFile(p, 'utf8');
  } catch {
    // new file
  }
  const sep = before && !before.endsWith('\n') ? '\n' : '';
  await fs.writeFile(p, before + sep + text);
  return (before + sep).split('\n').length - 1;
}

function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

function overridesMk(value: '0' | '1', enabledComment: boolean): string {
  return [
    '# Per-repo overrides, read by Makefile before anything else.',
    '',
    '.DEFAULT_GOAL := default',
    '',
    enabledComment ? '# Container builds are on for this repository (see the PR that enabled them).' : '# Not on the container plan yet.',
    `BUILD_WITH_CONTAINER ?= ${value}`,
    '',
  ].join('\n');
}

function makefileOld(img: string): string {
  return [
    '# top-level Makefile (generated fixture)',
    '-include Makefile.overrides.mk',
    '',
    '# Set BUILD_WITH_CONTAINER=1 to build in a container.',
    'export BUILD_WITH_CONTAINER ?= 0',
    '',
    'ifeq ($(BUILD_WITH_CONTAINER),1)',
    'CONTAINER_CLI ?= docker',
    `IMG ?= ${img}`,
    '$(info Building with the build container: $(IMG).)',
    'else',
    'include Makefile.core.mk',
    'endif',
    '',
  ].join('\n');
}

function makefileNew(): string {
  return [
    '# top-level Makefile (generated fixture)',
    '-include Makefile.overrides.mk',
    '',
    'export BUILD_WITH_CONTAINER ?= 0',
    '',
    'ifeq ($(BUILD_WITH_CONTAINER),1)',
    'export',
    'RUN = ./common/scripts/run.sh',
    'MAKE_DOCKER = $(RUN) make --no-print-directory -e -f Makefile.core.mk',
    '%:',
    '\t@$(MAKE_DOCKER) $@',
    'else',
    '$(shell $(shell pwd)/common/scripts/setup_env.sh envfile > out/.env)',
    'include out/.env',
    'include Makefile.core.mk',
    'endif',
    '',
  ].join('\n');
}

function setupEnv(version: string, registry: { provider: string; project: string } | undefined, exported: boolean): string {
  const ex = exported ? 'export ' : '';
  const image = registry ? '${TOOLS_REGISTRY_PROVIDER}/${PROJECT_ID}/${IMAGE_NAME}:${IMAGE_VERSION}' : 'gcr.io/istio-testing/${IMAGE_NAME}:${IMAGE_VERSION}';
  return [
    '#!/usr/bin/env bash',
    '# Environment for the build container (generated fixture).',
    'set -e',
    '',
    'LOCAL_ARCH=$(uname -m)',
    '',
    '# The image make runs in',
    ...(registry
      ? [`TOOLS_REGISTRY_PROVIDER=\${TOOLS_REGISTRY_PROVIDER:-${registry.provider}}`, `PROJECT_ID=\${PROJECT_ID:-${registry.project}}`]
      : []),
    'if [[ "${IMAGE_VERSION:-}" == "" ]]; then',
    `  ${ex}IMAGE_VERSION=${version}`,
    'fi',
    'if [[ "${IMAGE_NAME:-}" == "" ]]; then',
    `  ${ex}IMAGE_NAME=build-tools`,
    'fi',
    '',
    `${ex}IMG="\${IMG:-${image}}"`,
    'CONTAINER_CLI="${CONTAINER_CLI:-docker}"',
    '',
  ].join('\n');
}

/** A Dockerfile with a debug/default stage and a distroless stage, choosing with BASE_DISTRIBUTION. */
function variantDockerfile(opts: { defaultName: string; registryArg?: string; debug: string; distroless: string; binary: string }): string {
  return [
    `ARG BASE_DISTRIBUTION=${opts.defaultName}`,
    '',
    'ARG BASE_VERSION=latest',
    ...(opts.registryArg ? [`ARG ISTIO_BASE_REGISTRY=${opts.registryArg}`] : []),
    '',
    `FROM ${opts.debug} as ${opts.defaultName}`,
    '',
    `FROM ${opts.distroless} as distroless`,
    '',
    `FROM \${BASE_DISTRIBUTION${opts.defaultName === 'debug' ? ':-debug' : ''}}`,
    `COPY ${opts.binary} /usr/local/bin/${opts.binary}`,
    `ENTRYPOINT ["/usr/local/bin/${opts.binary}"]`,
    '',
  ].join('\n');
}

function dockerMk(targets: string[], rules: string[], extra: string[] = []): string {
  return [
    '## make docker (generated fixture)',
    'docker: docker.all',
    '',
    `DOCKER_TARGETS ?= ${targets.slice(0, 2).join(' ')} \\`,
    `\t${targets.slice(2).join(' ')}`,
    '',
    ...extra,
    ...rules,
    '# not part of make docker',
    'docker.base: docker/Dockerfile.base',
    '\t$(DOCKER_RULE)',
    '',
    'DOCKER_BUILD_VARIANTS ?= default',
    'DOCKER_RULE ?= $(foreach VARIANT,$(DOCKER_BUILD_VARIANTS), docker build $(BUILD_ARGS) --build-arg BASE_DISTRIBUTION=$(VARIANT) -f Dockerfile$(suffix $@) . ; )',
    '',
    'docker.all: $(DOCKER_TARGETS)',
    '',
  ].join('\n');
}

function rule(target: string, dockerfile: string, args = '--build-arg BASE_VERSION=${BASE_VERSION}'): string {
  return [`${target}: BUILD_ARGS=${args}`, `${target}: $(ISTIO_OUT_LINUX)/${target.slice('docker.'.length)}`, `${target}: ${dockerfile}`, '\t$(DOCKER_RULE)', ''].join('\n');
}

/** Writes the container-build files of `family` into `root` (appending to Makefile / Makefile.core.mk when present). */
export async function writeContainerFiles(root: string, family: ContainerFamily, opts: ContainerFixtureOptions = {}): Promise<ContainerFixture> {
  const pins = { static: opts.pins?.static ?? ZEROS, cc: opts.pins?.cc ?? ZEROS, iptables: opts.pins?.iptables ?? ZEROS };
  // Decoys in every family: a sample and a base image make docker never builds.
  await put(root, 'samples/tcp-echo/Dockerfile', 'FROM gcr.io/distroless/base-sample:latest\nCOPY tcp-echo /\n');
  await put(root, 'docker/Dockerfile.base', 'FROM ubuntu:focal\nRUN true\n');

  if (family === '1.4' || family === '1.5') {
    const old = family === '1.4';
    const version = opts.imageVersion ?? (old ? 'release-1.4-2019-11-12T19-29-46' : 'release-1.5-2020-02-14T14-00-07');
    const img = `gcr.io/istio-testing/build-tools:${version}`;
    const baseVersion = old ? '1.4-dev.4' : '1.5-dev.2';
    const static_ = old ? 'gcr.io/distroless/static:latest' : 'gcr.io/distroless/static:nonroot';
    const overrides = overridesMk('0', !old);
    await put(root, 'Makefile.overrides.mk', overrides);
    const mk = makefileOld(img);
    const at = await append(root, 'Makefile', mk);
    await append(root, 'Makefile.core.mk', `BASE_VERSION ?= ${baseVersion}\n`);
    await put(root, 'tools/istio-docker.mk', dockerMk(['docker.pilot', 'docker.proxyv2', 'docker.mixer'], [
      rule('docker.pilot', 'pilot/docker/Dockerfile.pilot'),
      rule('docker.proxyv2', 'pilot/docker/Dockerfile.proxyv2', '--build-arg proxy_version=istio-proxy:${PROXY_REPO_SHA} --build-arg BASE_VERSION=${BASE_VERSION}'),
      rule('docker.mixer', 'mixer/docker/Dockerfile.mixer'),
    ]));
    await put(root, 'pilot/docker/Dockerfile.pilot', variantDockerfile({ defaultName: 'default', debug: 'docker.io/istio/base:${BASE_VERSION}', distroless: static_, binary: 'pilot-discovery' }));
    await put(root, 'pilot/docker/Dockerfile.proxyv2', variantDockerfile({ defaultName: 'default', debug: 'docker.io/istio/base:${BASE_VERSION}', distroless: 'gcr.io/distroless/cc', binary: 'pilot-agent' }));
    await put(root, 'mixer/docker/Dockerfile.mixer', `FROM ${old ? 'gcr.io/distroless/static:latest' : static_}\nCOPY mixs /usr/local/bin/\n`);
    return {
      img,
      imgSource: `Makefile:${at + lineOf(mk, 'IMG ?=')}`,
      mode: { value: '0', source: `Makefile.overrides.mk:${lineOf(overrides, 'BUILD_WITH_CONTAINER ?=')}` },
      baseImages: [...new Set([`docker.io/istio/base:${baseVersion}`, static_, 'gcr.io/distroless/cc:latest', old ? 'gcr.io/distroless/static:latest' : static_])].sort(),
      baseVersion,
    };
  }

  const overrides = overridesMk('1', true);
  await put(root, 'Makefile.overrides.mk', overrides);
  await append(root, 'Makefile', makefileNew());
  const mode = { value: '1' as const, source: `Makefile.overrides.mk:${lineOf(overrides, 'BUILD_WITH_CONTAINER ?=')}` };

  if (family === '1.6-1.7' || family === '1.8-1.16') {
    const six = family === '1.6-1.7';
    const version = opts.imageVersion ?? (six ? 'release-1.6-2020-05-08T22-06-04' : 'release-1.12-2021-11-12T20-52-48');
    const setup = setupEnv(version, undefined, true);
    await put(root, 'common/scripts/setup_env.sh', setup);
    const baseVersion = six ? '1.6-dev.1' : '2021-10-06T19-01-15';
    await append(root, 'Makefile.core.mk', `BASE_VERSION ?= ${baseVersion}\n`);
    let baseImages: string[];
    if (six) {
      await put(root, 'tools/istio-docker.mk', dockerMk(['docker.pilot', 'docker.proxyv2', 'docker.operator'], [
        rule('docker.pilot', 'pilot/docker/Dockerfile.pilot'),
        rule('docker.proxyv2', 'pilot/docker/Dockerfile.proxyv2'),
        rule('docker.operator', 'operator/docker/Dockerfile.operator'),
      ]));
      const pilot = variantDockerfile({ defaultName: 'default', debug: 'docker.io/istio/base:${BASE_VERSION}', distroless: `gcr.io/distroless/static@${pins.static}`, binary: 'pilot-discovery' });
      await put(root, 'pilot/docker/Dockerfile.pilot', pilot);
      await put(root, 'operator/docker/Dockerfile.operator', pilot.replace(/pilot-discovery/g, 'operator'));
      await put(root, 'pilot/docker/Dockerfile.proxyv2', variantDockerfile({ defaultName: 'default', debug: 'docker.io/istio/base:${BASE_VERSION}', distroless: `gcr.io/distroless/cc@${pins.cc}`, binary: 'pilot-agent' }));
      baseImages = [`docker.io/istio/base:${baseVersion}`, `gcr.io/distroless/static@${pins.static}`, `gcr.io/distroless/cc@${pins.cc}`];
    } else {
      await put(root, 'tools/istio-docker.mk', dockerMk(
        ['docker.pilot', 'docker.proxyv2', 'docker.app_sidecar_ubuntu_focal'],
        [
          rule('docker.pilot', 'pilot/docker/Dockerfile.pilot'),
          rule('docker.proxyv2', 'pilot/docker/Dockerfile.proxyv2'),
          [
            'docker.app_sidecar_ubuntu_focal: BUILD_ARGS=--build-arg VM_IMAGE_NAME=ubuntu --build-arg VM_IMAGE_VERSION=focal --build-arg BASE_VERSION=${BASE_VERSION}',
            'docker.app_sidecar_ubuntu_focal: $(ISTIO_OUT_LINUX)/release/istio-sidecar.deb',
            '\t$(RENAME_TEMPLATE)',
            '\t$(DOCKER_RULE)',
            '',
          ].join('\n'),
        ],
        [
          'ECHO_DOCKER ?= pkg/test/echo/docker',
          'VM_OS_DOCKERFILE_TEMPLATE ?= Dockerfile.app_sidecar',
          '',
          'define normalize-tag',
          '$(subst default,debug,$(1))',
          'endef',
          '',
        ],
      ));
      await put(root, 'pilot/docker/Dockerfile.pilot', variantDockerfile({ defaultName: 'debug', debug: 'gcr.io/istio-release/base:${BASE_VERSION}', distroless: 'gcr.io/istio-release/distroless:${BASE_VERSION}', binary: 'pilot-discovery' }));
      await put(root, 'pilot/docker/Dockerfile.proxyv2', variantDockerfile({ defaultName: 'debug', debug: 'gcr.io/istio-release/base:${BASE_VERSION}', distroless: `gcr.io/istio-release/iptables@${pins.iptables}`, binary: 'pilot-agent' }));
      await put(root, 'pkg/test/echo/docker/Dockerfile.app_sidecar', [
        'ARG VM_IMAGE_NAME=ubuntu',
        'ARG VM_IMAGE_VERSION=bionic',
        'ARG BASE_VERSION=latest',
        'FROM gcr.io/istio-release/app_sidecar_base_${VM_IMAGE_NAME}_${VM_IMAGE_VERSION}:${BASE_VERSION}',
        'COPY istio-sidecar.deb /tmp/',
        '',
      ].join('\n'));
      baseImages = [
        `gcr.io/istio-release/base:${baseVersion}`,
        `gcr.io/istio-release/distroless:${baseVersion}`,
        `gcr.io/istio-release/iptables@${pins.iptables}`,
        `gcr.io/istio-release/app_sidecar_base_ubuntu_focal:${baseVersion}`,
      ];
    }
    return { img: `gcr.io/istio-testing/build-tools:${version}`, imgSource: `common/scripts/setup_env.sh:${lineOf(setup, 'IMG=')}`, mode, baseImages: baseImages.sort(), baseVersion };
  }

  // 1.20+ and master: registry parts in setup_env.sh, tools/docker.yaml, ISTIO_BASE_REGISTRY.
  const master = family === 'master';
  const version = opts.imageVersion ?? (master ? 'master-9a67f0594faf23c0974ab3db461b03f50f39ae33' : 'release-1.24-8036ecb4d2cc424846c9d8286ff447c15424185a');
  const registry = master ? { provider: 'registry.istio.io', project: 'testing' } : { provider: 'gcr.io', project: 'istio-testing' };
  const setup = setupEnv(version, registry, false);
  await put(root, 'common/scripts/setup_env.sh', setup);
  const baseVersion = master ? 'master-2026-08-22T19-00-53' : 'master-2024-09-19T19-01-03';
  const baseRegistry = master ? 'registry.istio.io/release' : 'gcr.io/istio-release';
  await append(root, 'Makefile.core.mk', `BASE_VERSION ?= ${baseVersion}\nISTIO_BASE_REGISTRY ?= ${baseRegistry}\n`);
  await put(root, 'tools/docker.yaml', [
    '# What make docker builds (generated fixture).',
    'images:',
    '- name: base',
    '  dockerfile: docker/Dockerfile.base',
    '  base: true',
    '- name: distroless',
    '  dockerfile: docker/Dockerfile.distroless',
    '  base: true',
    '',
    '- name: pilot',
    '  dockerfile: pilot/docker/Dockerfile.pilot',
    '  targets:',
    '  - ${TARGET_OUT_LINUX}/pilot-discovery',
    '- name: proxyv2',
    '  dockerfile: pilot/docker/Dockerfile.proxyv2',
    '  targets:',
    '  - ${TARGET_OUT_LINUX}/pilot-agent',
    '- name: app_sidecar_ubuntu_noble',
    '  dockerfile: pkg/test/echo/docker/Dockerfile.app_sidecar',
    '',
  ].join('\n'));
  await put(root, 'docker/Dockerfile.distroless', `FROM gcr.io/distroless/static-debian12@${pins.static}\n`);
  const common = { defaultName: 'debug', registryArg: baseRegistry, debug: '${ISTIO_BASE_REGISTRY}/base:${BASE_VERSION}' };
  await put(root, 'pilot/docker/Dockerfile.pilot', variantDockerfile({ ...common, distroless: '${ISTIO_BASE_REGISTRY}/distroless:${BASE_VERSION}', binary: 'pilot-discovery' }));
  await put(root, 'pilot/docker/Dockerfile.proxyv2', variantDockerfile({ ...common, distroless: '${ISTIO_BASE_REGISTRY}/iptables:${BASE_VERSION}', binary: 'pilot-agent' }));
  await put(root, 'pkg/test/echo/docker/Dockerfile.app_sidecar', [
    'ARG VM_IMAGE_NAME=ubuntu',
    'ARG VM_IMAGE_VERSION=jammy',
    'ARG BASE_VERSION=latest',
    `ARG ISTIO_BASE_REGISTRY=${baseRegistry}`,
    'FROM ${ISTIO_BASE_REGISTRY}/app_sidecar_base_${VM_IMAGE_NAME}_${VM_IMAGE_VERSION}:${BASE_VERSION}',
    'COPY istio-sidecar.deb /tmp/',
    '',
  ].join('\n'));
  return {
    img: `${registry.provider}/${registry.project}/build-tools:${version}`,
    imgSource: `common/scripts/setup_env.sh:${lineOf(setup, 'IMG=')}`,
    mode,
    baseImages: [`${baseRegistry}/base:${baseVersion}`, `${baseRegistry}/app_sidecar_base_ubuntu_noble:${baseVersion}`].sort(),
    baseVersion,
  };
}
