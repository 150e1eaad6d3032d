/**
 * What a bundle carries, read from the checkout through the release-line
 * model: every download `make init` makes on the line (src/istio/init.ts
 * initPlan: Envoy release/debug/centos, wasm filters; ztunnelPlan; helmPlan;
 * Dockerfile.kubectl), the images `make docker` builds FROM
 * (src/istio/dockerfiles.ts readMakeDockerImages, build args substituted)
 * and the build-tools image (src/istio/container.ts readBuildImage). These
 * functions are the only place the bundle learns about a release line.
 */
import path from 'node:path';
import type { IstioContext as Context } from '../../istio/project.js';
import { KUBECTL_DOCKERFILE, helmPlan, initPlan, parseKubectlAdd, ztunnelPlan } from '../../istio/init.js';
import { normalizeRef, readMakeDockerImages } from '../../istio/dockerfiles.js';
import { readBuildImage } from '../../istio/container.js';
import { readTextCapped } from '../../platform/files.js';
import { where } from '../../istio/facts.js';
import { versionLess } from '../../platform/versions.js';

/** One file `make init` downloads, for one platform. */
export interface ArtifactSource {
  url: string;
  /** short name for progress lines: `envoy release`, `helm`, `kubectl` */
  label: string;
  /** where the URL (or its scheme) was read */
  source: string;
  /** the checks verify it against `<url>.sha256`: so does create */
  publishedChecksum: boolean;
  /** credentials sent to the upstream host only (AUTH_HEADER) */
  authHeaders?: Record<string, string>;
}

export interface ImageSource {
  /** the reference make uses (`gcr.io/distroless/static:nonroot`) */
  ref: string;
  /** file:line of what names it */
  source: string;
  /** why it cannot be bundled, when it cannot */
  skip?: string;
}

/** `linux/amd64` → the context a check would see on such a machine (fresh memo: plans are per platform). */
export function contextFor(ctx: Context, platform: string): Context {
  const [os, arch] = platform.split('/');
  const base = ctx.fresh();
  return {
    ...base,
    platform: os === 'darwin' ? 'darwin' : 'linux',
    arch: arch === 'arm64' ? 'arm64' : 'x64',
    env: { ...ctx.env, TARGET_OS: ctx.env.TARGET_OS ?? os, TARGET_ARCH: ctx.env.TARGET_ARCH ?? arch },
  };
}

/** Every file `make init` downloads on `platform` (`linux/amd64`), with its URL, from the release-line model. */
export async function artifactSources(ctx: Context, platform: string): Promise<ArtifactSource[]> {
  const pctx = contextFor(ctx, platform);
  const out: ArtifactSource[] = [];
  const [init, ztunnel, helm] = await Promise.all([initPlan(pctx), ztunnelPlan(pctx), helmPlan(pctx)]);
  for (const f of init?.fetches ?? []) {
    // Tarballs and .wasm files are published with a .sha256 beside them, as the checks verify.
    out.push({ url: f.url, label: f.name, source: f.urlSource, publishedChecksum: true, authHeaders: init!.headers });
  }
  for (const f of ztunnel?.fetches ?? []) out.push({ url: f.url, label: f.name, source: f.urlSource, publishedChecksum: false, authHeaders: ztunnel!.headers });
  if (helm) out.push({ url: helm.url, label: 'helm', source: helm.urlSource, publishedChecksum: true });
  const kubectl = await kubectlSource(ctx);
  if (kubectl) out.push(kubectl);
  return out;
}

async function kubectlSource(ctx: Context): Promise<ArtifactSource | undefined> {
  const text = await readTextCapped(path.join(ctx.root!, KUBECTL_DOCKERFILE));
  if (text === undefined) return undefined;
  const add = parseKubectlAdd(text);
  // Already rewritten by devenv fix kubectl-cache: the URL is only in devenv's backup, and the file is local.
  if (!add?.url) return undefined;
  return { url: add.url, label: 'kubectl', source: `${KUBECTL_DOCKERFILE}:${add.line}`, publishedChecksum: true };
}

/** The Go line the checkout requires: the strictest of go.mod's go/toolchain lines and GO_VERSION_REQUIRED. */
export function goRequirement(ctx: Context): { version: string; source: string } | undefined {
  const f = ctx.project;
  if (!f) return undefined;
  const all = [f.goMod.go, f.goMod.toolchain, f.goVersionRequired].filter((x): x is NonNullable<typeof x> => Boolean(x));
  if (all.length === 0) return undefined;
  const strictest = all.reduce((a, b) => (versionLess(a.value, b.value) ? b : a));
  return { version: ctx.config.go.version ?? strictest.value, source: ctx.config.go.version ? 'go.version (devenv config)' : where(strictest) };
}

/**
 * The images a build of this checkout pulls: the FROM images of the
 * Dockerfiles `make docker` builds (build args substituted as make passes
 * them; only stages the builder pulls), and the build-tools image IMG.
 */
export async function imageSources(ctx: Context): Promise<ImageSource[]> {
  const byRef = new Map<string, ImageSource>();
  const made = await readMakeDockerImages(ctx.root!, ctx.env);
  for (const f of made?.images ?? []) {
    if (!f.needed) continue;
    const ref = normalizeRef(f.image);
    if (byRef.has(ref)) continue;
    const src = `${f.file}:${f.line}`;
    if (f.unresolved) byRef.set(ref, { ref, source: src, skip: 'its reference still has an unsubstituted build argument' });
    else if (ref.includes('@')) {
      byRef.set(ref, { ref, source: src, skip: 'pinned by digest: a docker save archive cannot restore a registry digest, so docker build would still pull it' });
    } else byRef.set(ref, { ref, source: src });
  }
  const img = await readBuildImage(ctx.root!, ctx.env);
  if (img) {
    const ref = img.image;
    if (!byRef.has(ref)) byRef.set(ref, /\$/.test(ref) ? { ref, source: img.source, skip: 'its reference could not be computed' } : { ref, source: img.source });
  }
  return [...byRef.values()].sort((a, b) => a.ref.localeCompare(b.ref));
}
