import type { IstioCheck } from '../src/istio/project.js';
import type { CheckResult, FixStep } from '../src/engine/check.js';
import type { IstioContext as Context } from '../src/istio/project.js';
import { DevenvError } from '../src/platform/errors.js';
import { formatCommand } from '../src/platform/exec.js';
import { inspectImage, pull, repositoryOf, tag, untag } from '../src/features/images.js';
import { mirrorImage } from '../src/platform/mirrors.js';
import { manualStep } from '../src/features/steps.js';
import { normalizeRef, readBaseImages } from '../src/istio/dockerfiles.js';

export interface RequiredImage {
  image: string;
  mirror: string;
  /** file:line of every FROM that needs it */
  usedBy: string[];
}

/** Images FROM'd in the checkout that fall under a `mirrors.images` rule. */
export async function requiredImages(ctx: Context): Promise<RequiredImage[]> {
  const froms = await ctx.memo('dockerfile-froms', () => readBaseImages(ctx.root!));
  const byImage = new Map<string, RequiredImage>();
  for (const f of froms) {
    if (f.unresolved) continue;
    const image = normalizeRef(f.image);
    const mirror = mirrorImage(image, ctx.config);
    if (!mirror) continue;
    const entry = byImage.get(image) ?? { image, mirror, usedBy: [] };
    entry.usedBy.push(`${f.file}:${f.line}`);
    byImage.set(image, entry);
  }
  return [...byImage.values()].sort((a, b) => a.image.localeCompare(b.image));
}

async function missingImages(ctx: Context): Promise<{ all: RequiredImage[]; missing: RequiredImage[] }> {
  const all = await requiredImages(ctx);
  const present = await Promise.all(all.map((i) => inspectImage(ctx, i.image)));
  return { all, missing: all.filter((_, k) => !present[k]) };
}

function digestOf(repoDigests: string[], repository: string): string | undefined {
  const hit = repoDigests.find((d) => d.startsWith(repository + '@'));
  return hit?.slice(hit.indexOf('@') + 1);
}

function imageStep(ctx: Context, req: RequiredImage): FixStep {
  const upstreamFirst = ctx.config.prefer !== 'mirror';
  const timeoutMs = ctx.config.images.upstreamTimeoutMs;
  const pinned = ctx.config.images.digests[req.image];
  if (req.image.includes('@')) {
    return manualStep(
      `${req.image} is pinned by digest, which a retag cannot satisfy: configure the daemon's registry mirror ("registry-mirrors" in daemon.json) or pull it where gcr.io is reachable`,
    );
  }
  const parts = [
    ...(upstreamFirst ? [`${formatCommand('docker', ['pull', req.image])} (give up after ${Math.round(timeoutMs / 1000)}s), else:`] : []),
    formatCommand('docker', ['pull', req.mirror]),
    ...(pinned ? [`verify ${req.mirror} has digest ${pinned}`] : []),
    formatCommand('docker', ['tag', req.mirror, req.image]),
    `verify ${req.image} is the pulled image ID`,
    formatCommand('docker', ['rmi', req.mirror]),
  ];
  return {
    kind: 'image',
    describe: parts.join('; '),
    command: { cmd: 'docker', args: ['pull', req.mirror] },
    run: async (c) => {
      if (upstreamFirst) {
        try {
          await pull(c, req.image, timeoutMs);
          return;
        } catch (err) {
          c.log(`upstream ${req.image} unavailable (${(err as Error).message}); using mirror ${req.mirror}`);
        }
      }
      const hadMirror = await inspectImage(c, req.mirror);
      await pull(c, req.mirror);
      const pulled = await inspectImage(c, req.mirror);
      if (!pulled) throw new DevenvError(`${req.mirror} was pulled but is not in the local engine`);
      if (pinned) {
        const got = digestOf(pulled.repoDigests, repositoryOf(req.mirror));
        if (got !== pinned) {
          throw new DevenvError(
            `refusing ${req.mirror} for ${req.image}: its digest is ${got ?? 'unknown'}, but images.digests pins ${pinned}; nothing was retagged`,
            { suggestions: ['Check the mirror, or update images.digests if the new digest is the one you want.'] },
          );
        }
      }
      await tag(c, req.mirror, req.image);
      const tagged = await inspectImage(c, req.image);
      if (!tagged || tagged.id !== pulled.id) {
        throw new DevenvError(`after tagging, ${req.image} resolves to ${tagged?.id ?? 'nothing'}, not the pulled ${pulled.id}; the mirror tag was kept`);
      }
      // Only now is the mirror tag redundant. Keep it if the user had it before this fix.
      if (!hadMirror) await untag(c, req.mirror);
    },
  };
}

export const distrolessImages = {
  id: 'distroless-images',
  title: 'Base images (distroless)',
  category: 'docker',
  needs: ['docker-daemon'],
  description:
    'Every image the checkout\'s Dockerfiles build FROM that has a mirror rule (mirrors.images; default gcr.io/distroless/ → cistio/distroless-) is present in the local Docker engine.',
  fixDescription:
    'Per missing image, concurrently: pulls upstream (unless prefer is mirror) or the mirror, checks a pinned digest (images.digests), tags it as the upstream name, verifies the tag, and only then removes the mirror tag.',
  appliesTo: (ctx) => (ctx.root ? true : 'not in an Istio checkout'),
  async run(ctx): Promise<CheckResult> {
    const { all, missing } = await missingImages(ctx);
    const details = all.map((i) => `${i.image} ← ${i.usedBy.join(', ')} (mirror ${i.mirror})`);
    if (all.length === 0) {
      return { status: 'ok', summary: 'no Dockerfile uses an image that has a mirror rule', details: [`mirror rules: ${Object.keys(ctx.config.mirrors.images).join(', ') || 'none'}`] };
    }
    const source = missing[0]?.usedBy[0] ?? all[0].usedBy[0];
    if (missing.length === 0) {
      return { status: 'ok', summary: `all ${all.length} base image${all.length === 1 ? '' : 's'} present`, found: `${all.length} present`, required: all.map((i) => i.image).join(', '), source, details };
    }
    return {
      status: 'fail',
      summary: `missing ${missing.map((m) => m.image).join(', ')}`,
      found: `${all.length - missing.length} of ${all.length} present`,
      required: all.map((i) => i.image).join(', '),
      source,
      hint: `devenv fix distroless-images (pulls from the mirror: ${missing.map((m) => m.mirror).join(', ')})`,
      details,
    };
  },
  async fix(ctx) {
    const { missing } = await missingImages(ctx);
    return { concurrent: true, steps: missing.map((m) => imageStep(ctx, m)) };
  },
} satisfies IstioCheck;
