import type { IstioCheck } from '../src/istio/project.js';
import type { CheckResult, FixStep } from '../src/engine/check.js';
import type { IstioContext as Context } from '../src/istio/project.js';
import { describeProvide, inspectImage, provideImage, type ImageSource } from '../src/features/images.js';
import { mirrorImage } from '../src/platform/mirrors.js';
import { normalizeRef, readMakeDockerImages } from '../src/istio/dockerfiles.js';

export interface RequiredImage {
  /** The reference as `make docker` uses it (tag, or repo@sha256:… when pinned). */
  image: string;
  /** The mirror reference from mirrors.images, when a rule matches. */
  mirror?: string;
  /** file:line of every FROM that needs it */
  usedBy: string[];
  /** The manifest digest the reference pins, when it does. */
  pinned?: string;
}

interface Reading {
  all: RequiredImage[];
  /** Why nothing is required (no tools/istio-docker.mk or tools/docker.yaml). */
  none?: string;
  details: string[];
}

/** The images `make docker` builds FROM, read from the Dockerfiles it builds, with make's build args. */
export async function requiredImages(ctx: Context): Promise<RequiredImage[]> {
  return (await readRequired(ctx)).all;
}

function readRequired(ctx: Context): Promise<Reading> {
  return ctx.memo('make-docker-images', async () => {
    const r = await readMakeDockerImages(ctx.root!, ctx.env);
    if (!r) return { all: [], none: 'this tree has neither tools/istio-docker.mk nor tools/docker.yaml, so devenv cannot tell what make docker builds', details: [] };
    const byImage = new Map<string, RequiredImage>();
    const details = [
      `make docker builds ${r.plan.builds.length} image${r.plan.builds.length === 1 ? '' : 's'} listed in ${r.plan.listedIn} (${r.plan.builder} builder)`,
      ...r.plan.details,
      ...r.unreadable,
    ];
    if (r.plan.builder === 'crane') {
      return { all: [], none: 'ISTIO_DOCKER_BUILDER=crane: make docker fetches base images from their registries itself, not from the local Docker engine', details };
    }
    const skipped = new Set<string>();
    for (const f of r.images) {
      if (f.unresolved) {
        skipped.add(`cannot resolve ${f.image} (${f.file}:${f.line}): a build argument devenv cannot read`);
        continue;
      }
      if (!f.needed) {
        skipped.add(`${normalizeRef(f.image)} (${f.file}:${f.line}) is a stage the final image does not use; BuildKit does not pull it`);
        continue;
      }
      const image = normalizeRef(f.image);
      const entry = byImage.get(image) ?? { image, mirror: mirrorImage(image, ctx.config), usedBy: [], pinned: image.includes('@') ? image.slice(image.indexOf('@') + 1) : undefined };
      const at = `${f.file}:${f.line}`;
      if (!entry.usedBy.includes(at)) entry.usedBy.push(at);
      byImage.set(image, entry);
    }
    details.push(...skipped);
    return { all: [...byImage.values()].sort((a, b) => a.image.localeCompare(b.image)), details };
  });
}

type State = 'present' | 'content-only' | 'missing';

async function stateOf(ctx: Context, req: RequiredImage): Promise<State> {
  if (await inspectImage(ctx, req.image)) return 'present';
  if (req.pinned && req.mirror && (await inspectImage(ctx, req.mirror))) return 'content-only';
  return 'missing';
}

function sources(ctx: Context, req: RequiredImage): ImageSource[] {
  const upstream: ImageSource = { ref: req.image, label: 'upstream', timeoutMs: ctx.config.images.upstreamTimeoutMs };
  if (!req.mirror) return [upstream];
  const mirror: ImageSource = { ref: req.mirror, label: 'mirror' };
  // prefer: mirror means the upstream is not worth waiting for: the mirror only.
  return ctx.config.prefer === 'mirror' ? [mirror] : [upstream, mirror];
}

function imageStep(ctx: Context, req: RequiredImage): FixStep {
  const opts = { target: req.image, sources: sources(ctx, req), digest: req.pinned ?? ctx.config.images.digests[req.image] };
  return {
    kind: 'image',
    describe: describeProvide(opts),
    command: { cmd: 'docker', args: ['pull', opts.sources[0].ref] },
    run: async (c) => void (await provideImage(c, opts)),
  };
}

const PINNED_NOTE =
  'Docker cannot give a local image a digest-pinned name (tags carry no digest), so `docker build` still asks the upstream registry for it; make the upstream reachable, or point the daemon at a registry mirror ("registry-mirrors" in daemon.json, docker.io only)';

export const distrolessImages = {
  id: 'distroless-images',
  title: 'Base images (make docker)',
  category: 'docker',
  needs: ['docker-daemon'],
  description:
    'Every image `make docker` builds FROM is in the local Docker engine: read only from the Dockerfiles it builds (tools/istio-docker.mk up to 1.15, tools/docker.yaml from 1.16 without `base: true` entries), with the build args make passes (BASE_VERSION, ISTIO_BASE_REGISTRY, BASE_DISTRIBUTION). Missing is a failure when a mirrors.images rule covers the image (default gcr.io/distroless/ → cistio/distroless-), else a warning (docker pulls it from upstream at build time).',
  fixDescription:
    'Per missing image, concurrently: pulls upstream (bounded by images.upstreamTimeoutMs; not tried with prefer: mirror when a mirror rule matches), else the mirror, checks the digest (the reference\'s own pin, or images.digests), tags the mirror image as the upstream name, verifies the tag and removes the mirror tag it created. A mirror tag you already had is used as it is (never re-pulled or moved); an upstream tag that names another image is never moved. A digest-pinned image is pulled by that digest from the mirror.',
  appliesTo: (ctx) => (ctx.root ? true : 'not in an Istio checkout'),
  async run(ctx): Promise<CheckResult> {
    const { all, none, details: readDetails } = await readRequired(ctx);
    if (none) return { status: 'skip', summary: none };
    if (all.length === 0) return { status: 'ok', summary: 'make docker builds FROM no image devenv can name', details: readDetails };
    const states = await Promise.all(all.map((r) => stateOf(ctx, r)));
    const details = [
      ...all.map((r, k) => `${r.image}: ${states[k]} ← ${r.usedBy.join(', ')}${r.mirror ? ` (mirror ${r.mirror})` : ' (no mirror rule)'}`),
      ...readDetails,
    ];
    const missing = all.filter((_, k) => states[k] === 'missing');
    const contentOnly = all.filter((_, k) => states[k] === 'content-only');
    const blocking = missing.filter((r) => r.mirror);
    const base = {
      found: `${all.length - missing.length - contentOnly.length} of ${all.length} present`,
      required: all.map((r) => r.image).join(', '),
      source: (missing[0] ?? contentOnly[0] ?? all[0]).usedBy[0],
      details,
    };
    if (missing.length === 0 && contentOnly.length === 0) {
      return { status: 'ok', summary: `all ${all.length} base image${all.length === 1 ? '' : 's'} present`, ...base };
    }
    const parts: string[] = [];
    if (missing.length) parts.push(`missing ${missing.map((m) => m.image).join(', ')}`);
    if (contentOnly.length) parts.push(`${contentOnly.map((m) => m.image).join(', ')}: the pinned digest is in the local engine (from ${contentOnly.map((m) => m.mirror).join(', ')}), but not under that name`);
    return {
      status: blocking.length ? 'fail' : 'warn',
      summary: parts.join('; '),
      ...base,
      hint: missing.length
        ? `devenv fix distroless-images (${missing.map((m) => (m.mirror ? `mirror ${m.mirror}` : `upstream ${m.image}; no mirrors.images rule`)).join(', ')})`
        : PINNED_NOTE,
      details: contentOnly.length ? [...details, PINNED_NOTE] : details,
    };
  },
  async fix(ctx) {
    const { all } = await readRequired(ctx);
    const states = await Promise.all(all.map((r) => stateOf(ctx, r)));
    const missing = all.filter((_, k) => states[k] === 'missing');
    return {
      concurrent: true,
      notes: missing.some((m) => m.pinned) ? [PINNED_NOTE] : undefined,
      steps: missing.map((m) => imageStep(ctx, m)),
    };
  },
} satisfies IstioCheck;
