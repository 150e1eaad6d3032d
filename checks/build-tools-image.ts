import type { IstioCheck } from '../src/istio/project.js';
import type { CheckResult } from '../src/engine/check.js';
import type { IstioContext as Context } from '../src/istio/project.js';
import { describeProvide, imageOrigin, inspectImage, provideImage, recordImageOrigin, type ImageSource, type ProvideOptions } from '../src/features/images.js';
import { mirrorImage } from '../src/platform/mirrors.js';
import { describeMode, readBuildImage, readBuildMode, type BuildImage, type BuildMode } from '../src/istio/container.js';

interface Reading {
  mode?: BuildMode;
  image?: BuildImage;
}

function read(ctx: Context): Promise<Reading> {
  return ctx.memo('build-tools-image', async () => {
    const [mode, image] = await Promise.all([readBuildMode(ctx.root!, ctx.env), readBuildImage(ctx.root!, ctx.env)]);
    return { mode, image };
  });
}

/**
 * Where IMG can come from, in order: IMG upstream, its mirror, then the same
 * tag under the alternate registry and its mirror; prefer: mirror tries the
 * mirrors only (the upstreams when no rule matches).
 */
export function buildToolsSources(ctx: Context, image: BuildImage): ImageSource[] {
  const timeoutMs = ctx.config.images.upstreamTimeoutMs;
  const pairs = [image.image, ...image.alternates].map((ref, k) => {
    const note =
      k > 0
        ? `${image.image} was not available; used the same tag from ${ref} (registry.istio.io/testing lacks the pinned tags of release branches, istio/istio#61589). To have make pull it directly: TOOLS_REGISTRY_PROVIDER=gcr.io PROJECT_ID=istio-testing`
        : undefined;
    const upstream: ImageSource = { ref, label: k > 0 ? 'alternate registry' : 'upstream', timeoutMs, note };
    const m = mirrorImage(ref, ctx.config);
    const mirror: ImageSource | undefined = m && m !== ref ? { ref: m, label: k > 0 ? 'mirror of the alternate registry' : 'mirror', note, standsFor: ref } : undefined;
    return { upstream, mirror };
  });
  // prefer: mirror means the upstreams are not worth waiting for: mirrors only, when any rule matches.
  const mirrors = pairs.flatMap((p) => (p.mirror ? [p.mirror] : []));
  if (ctx.config.prefer === 'mirror' && mirrors.length > 0) return mirrors;
  return pairs.flatMap((p) => (p.mirror ? [p.upstream, p.mirror] : [p.upstream]));
}

function provideOptions(ctx: Context, image: BuildImage): ProvideOptions {
  return { target: image.image, sources: buildToolsSources(ctx, image), digest: ctx.config.images.digests[image.image] };
}

export const buildToolsImage = {
  id: 'build-tools-image',
  title: 'Build-tools image',
  category: 'docker',
  needs: ['docker-daemon'],
  description:
    'When make builds inside the build-tools container (the effective BUILD_WITH_CONTAINER is 1: environment, then Makefile.overrides.mk, then Makefile), the image it runs (IMG: environment, Makefile `IMG ?=` on 1.4–1.5, common/scripts/setup_env.sh from 1.6) is in the local Docker engine.',
  fixDescription:
    'Pulls IMG from upstream (bounded by images.upstreamTimeoutMs) or through mirrors.images (e.g. a rule for gcr.io/istio-testing/); when registry.istio.io/testing lacks the tag (istio/istio#61589) tries gcr.io/istio-testing with the same tag and says so; verifies the digest when images.digests pins one, tags the image as IMG, verifies the tag and removes only the source tag it created.',
  async appliesTo(ctx) {
    if (!ctx.root) return 'not in an Istio checkout';
    const { mode, image } = await read(ctx);
    if (!image) return 'this tree names no build-tools image (IMG): it has no container build';
    if (!mode?.container) {
      return `host build (${mode ? describeMode(mode) : 'BUILD_WITH_CONTAINER unset'}): make does not use ${image.image}; set BUILD_WITH_CONTAINER=1 to build in it`;
    }
    return true;
  },
  async run(ctx): Promise<CheckResult> {
    const { mode, image } = await read(ctx);
    if (!image || !mode) return { status: 'skip', summary: 'this tree names no build-tools image (IMG)' };
    const details = [`container build: ${describeMode(mode)}`, ...image.details, ...image.alternates.map((a) => `alternate: ${a} (same tag)`)];
    const local = await inspectImage(ctx, image.image);
    if (local) {
      const origin = await imageOrigin(ctx, image.image, local.id);
      const upstream = origin?.standsFor ?? origin?.from;
      const via = origin && origin.from !== upstream ? ` via ${origin.from}` : '';
      const from = !origin || origin.from === image.image
        ? ''
        : upstream !== image.image
          ? ` (the same tag from ${upstream}${via}: istio/istio#61589)`
          : ` (pulled${via})`;
      return {
        status: 'ok',
        summary: `${image.image} is in the local engine${from}`,
        found: local.id,
        required: image.image,
        source: image.source,
        details: origin?.note ? [origin.note, ...details] : details,
      };
    }
    const mirror = mirrorImage(image.image, ctx.config);
    return {
      status: 'fail',
      summary: `${image.image} is not in the local engine; every make target runs in it (${describeMode(mode)})`,
      found: 'missing',
      required: image.image,
      source: image.source,
      hint: `devenv fix build-tools-image${mirror ? ` (mirror ${mirror})` : ''}, or build on the host: BUILD_WITH_CONTAINER=0`,
      details,
    };
  },
  async fix(ctx) {
    const { image } = await read(ctx);
    if (!image) return { steps: [] };
    const opts = provideOptions(ctx, image);
    return {
      notes: image.alternates.length
        ? [`registry.istio.io/testing lacks the pinned tags of release branches (istio/istio#61589): if ${image.image} cannot be pulled, the same tag is taken from ${image.alternates.join(', ')}`]
        : undefined,
      steps: [
        {
          kind: 'image',
          describe: describeProvide(opts),
          command: { cmd: 'docker', args: ['pull', opts.sources[0].ref] },
          run: async (c) => {
            const used = await provideImage(c, opts);
            await recordImageOrigin(c, image.image, { id: used.id, from: used.ref, standsFor: used.standsFor ?? used.ref, note: used.note });
          },
        },
      ],
    };
  },
} satisfies IstioCheck;
