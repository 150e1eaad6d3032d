/**
 * What a bundle carries, read from the checkout. These three functions are
 * the only place the bundle learns about a release line: today they read
 * src/istio/init.ts (envoyPlan, helmPlan, Dockerfile.kubectl),
 * src/istio/dockerfiles.ts (FROM lines) and common/scripts/setup_env.sh /
 * the Makefiles (IMG). When the release-line model lands, artifactSources()
 * and imageSources() switch to it and nothing else in bundle/ changes.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { IstioContext as Context } from '../../istio/project.js';
import { KUBECTL_DOCKERFILE, envoyPlan, expand, helmPlan, parseKubectlAdd, parseShellVars } from '../../istio/init.js';
import { normalizeRef, readBaseImages } from '../../istio/dockerfiles.js';
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

/**
 * Every file `make init` downloads on `platform` (`linux/amd64`), with its URL.
 * SWITCH POINT: replace the body with the release-line model's artifact list.
 */
export async function artifactSources(ctx: Context, platform: string): Promise<ArtifactSource[]> {
  const pctx = contextFor(ctx, platform);
  const out: ArtifactSource[] = [];
  const envoy = await envoyPlan(pctx);
  for (const a of envoy?.artifacts ?? []) {
    out.push({ url: a.url, label: `envoy ${a.kind}`, source: a.urlSource, publishedChecksum: true, authHeaders: envoy!.headers });
  }
  const helm = await helmPlan(pctx);
  if (helm) out.push({ url: helm.url, label: 'helm', source: helm.urlSource, publishedChecksum: true });
  const kubectl = await kubectlSource(ctx);
  if (kubectl) out.push(kubectl);
  return out;
}

async function kubectlSource(ctx: Context): Promise<ArtifactSource | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(ctx.root!, KUBECTL_DOCKERFILE), 'utf8');
  } catch {
    return undefined;
  }
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
 * The images a build of this checkout pulls: base images FROM'd in its
 * Dockerfiles (samples/ excluded: make docker never builds them), and the
 * build-tools image where the tree names one.
 * SWITCH POINT: replace with the release-line model's images (make docker's
 * Dockerfiles with build args substituted, and IMG from src/istio/container.ts).
 */
export async function imageSources(ctx: Context): Promise<ImageSource[]> {
  const byRef = new Map<string, ImageSource>();
  const froms = await readBaseImages(ctx.root!);
  for (const f of froms) {
    if (f.file.startsWith('samples/')) continue;
    const ref = normalizeRef(f.image);
    if (byRef.has(ref)) continue;
    const src = `${f.file}:${f.line}`;
    if (f.unresolved) byRef.set(ref, { ref, source: src, skip: 'its reference still has an unsubstituted build argument' });
    else if (ref.includes('@')) {
      byRef.set(ref, { ref, source: src, skip: 'pinned by digest: a docker save archive cannot restore a registry digest, so docker build would still pull it' });
    } else byRef.set(ref, { ref, source: src });
  }
  const img = await buildToolsImage(ctx);
  if (img && !byRef.has(img.ref)) byRef.set(img.ref, img);
  return [...byRef.values()].sort((a, b) => a.ref.localeCompare(b.ref));
}

/** IMG as common/scripts/setup_env.sh (1.6+) or the Makefile (`IMG ?=`, 1.4–1.5) computes it, when that is cheap to read. */
async function buildToolsImage(ctx: Context): Promise<ImageSource | undefined> {
  if (ctx.env.IMG) return { ref: ctx.env.IMG, source: 'env IMG' };
  const rel = 'common/scripts/setup_env.sh';
  let text: string | undefined;
  try {
    text = await fs.readFile(path.join(ctx.root!, rel), 'utf8');
  } catch {
    text = undefined;
  }
  if (text) {
    const vars = parseShellVars(text);
    const img = vars.get('IMG');
    if (img) {
      const lookup = (n: string) => ctx.env[n] || vars.get(n)?.value;
      const ref = expand(img.value, lookup);
      const src = `${rel}:${img.line}`;
      return /\$/.test(ref) ? { ref: img.value, source: src, skip: 'its reference could not be computed from setup_env.sh' } : { ref, source: src };
    }
  }
  const mk = ctx.project?.makeVars.find((v) => v.name === 'IMG');
  if (mk && !mk.value.includes('$')) return { ref: mk.value, source: where(mk) };
  return undefined;
}
