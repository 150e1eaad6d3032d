/**
 * What `make init` downloads and where it puts it, read from the checkout:
 * istio.deps (PROXY_REPO_SHA), bin/init.sh and the Makefiles (Envoy URL scheme
 * and the env vars that override it), bin/init_helm.sh (HELM_VER), and the
 * output layout of that release line (GOPATH-derived in 1.1–1.4, ./out later).
 */
import path from 'node:path';
import type { IstioContext as Context } from './project.js';
import { where } from './facts.js';
import type { Located } from './gomod.js';
import type { MakeVar } from './makefile.js';
import { DevenvError } from '../platform/errors.js';
import { readTextCapped } from '../platform/files.js';

/** `NAME=${NAME:-default}`, `export NAME=value`, `: ${NAME:=default}` assignments in a shell script. */
export interface ShellVar {
  name: string;
  value: string;
  /** true when the script lets the environment override it (`${NAME:-…}`). */
  overridable: boolean;
  line: number;
}

function unquote(v: string): string {
  const t = v.trim();
  return /^(["']).*\1$/.test(t) ? t.slice(1, -1) : t;
}

export function parseShellVars(text: string): Map<string, ShellVar> {
  const out = new Map<string, ShellVar>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    let m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=["']?\$\{\1:?[-=](.*)\}["']?\s*(?:#.*)?$/.exec(line);
    if (m) {
      if (!out.has(m[1])) out.set(m[1], { name: m[1], value: unquote(m[2]), overridable: true, line: i + 1 });
      return;
    }
    m = /^:\s+["']?\$\{([A-Za-z_][A-Za-z0-9_]*):?=(.*)\}["']?\s*$/.exec(line);
    if (m) {
      if (!out.has(m[1])) out.set(m[1], { name: m[1], value: unquote(m[2]), overridable: true, line: i + 1 });
      return;
    }
    // Each piece of an unquoted value starts with a distinct character, so the match is linear.
    m = /^(?:export\s+)?([A-Za-z_]\w*)=("[^"]*"|'[^']*'|(?:[^\s;`$()]|\$\{\w+\}|\$\w+(?!\w))*)(?:\s+#.*|\s*)$/.exec(line);
    if (m && !out.has(m[1])) out.set(m[1], { name: m[1], value: unquote(m[2]), overridable: false, line: i + 1 });
  });
  return out;
}

/** Expands `${A}`, `$A`, `${A:-x}` with `lookup`; unknown names stay as they are. */
export function expand(value: string, lookup: (name: string) => string | undefined, depth = 0): string {
  if (depth > 10) return value;
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced, def, bare) => {
    const v = lookup(braced ?? bare);
    if (v !== undefined && v !== '') return expand(v, lookup, depth + 1);
    if (def !== undefined) return expand(unquote(def), lookup, depth + 1);
    return whole;
  });
}

export interface ProxySha extends Located {
  /** where: "env" when PROXY_REPO_SHA came from the environment */
  fromEnv?: boolean;
}

/** PROXY_REPO_SHA: the environment, else istio.deps (a JSON list of {name, lastStableSHA}). */
export async function readProxySha(ctx: Context): Promise<ProxySha | undefined> {
  if (ctx.env.PROXY_REPO_SHA && !/^[0-9a-f]{7,40}$/.test(ctx.env.PROXY_REPO_SHA)) {
    throw new DevenvError(`PROXY_REPO_SHA in the environment is not a git SHA (7–40 hex digits): ${JSON.stringify(ctx.env.PROXY_REPO_SHA.slice(0, 80))}`);
  }
  if (ctx.env.PROXY_REPO_SHA) return { value: ctx.env.PROXY_REPO_SHA, file: 'env PROXY_REPO_SHA', line: 0, fromEnv: true };
  if (!ctx.root) return undefined;
  const text = await readTextCapped(path.join(ctx.root, 'istio.deps'));
  if (text === undefined) return undefined;
  try {
    const deps = JSON.parse(text) as { name?: string; lastStableSHA?: string }[];
    const entry = Array.isArray(deps) ? deps.find((d) => d.name === 'PROXY_REPO_SHA') : undefined;
    if (entry?.lastStableSHA) {
      const idx = text.split('\n').findIndex((l) => l.includes(entry.lastStableSHA!));
      // It becomes part of file names (envoy-<SHA>) and URLs: never a path like ../../x.
      if (!/^[0-9a-f]{7,40}$/.test(entry.lastStableSHA)) {
        throw new DevenvError(`istio.deps:${idx + 1}: lastStableSHA of PROXY_REPO_SHA is not a git SHA (7–40 hex digits): ${JSON.stringify(entry.lastStableSHA.slice(0, 80))}`);
      }
      return { value: entry.lastStableSHA, file: 'istio.deps', line: idx + 1 };
    }
  } catch (err) {
    if (err instanceof DevenvError) throw err;
    // fall through to a line scan (the scripts themselves grep it)
  }
  const lines = text.split('\n');
  const at = lines.findIndex((l) => /PROXY_REPO_SHA/.test(l));
  for (let i = Math.max(at, 0); at >= 0 && i < Math.min(lines.length, at + 6); i++) {
    const m = /"lastStableSHA"\s*:\s*"([0-9a-f]{7,40})"/.exec(lines[i]);
    if (m) return { value: m[1], file: 'istio.deps', line: i + 1 };
  }
  return undefined;
}

export interface Layout {
  era: 'gopath' | 'modern';
  /** GO_TOP: first GOPATH entry, else the Makefile's default three dirs above the checkout (gopath era). */
  goTop?: string;
  outDir: string;
  /** $ISTIO_OUT (1.4: OUT_DIR/<goos>_<goarch>/release; 1.5+: TARGET_OUT) */
  istioOut: string;
  /** $ISTIO_BIN (gopath era) */
  istioBin?: string;
  /** where the linux envoy and docker builds go: OUT_DIR/linux_amd64 (1.4) or TARGET_OUT_LINUX */
  linuxOut: string;
  dockerBuildTop: string;
  /** the Makefile line the layout was derived from */
  source?: string;
}

function hostOsArch(ctx: Context): { os: string; arch: string } {
  return { os: ctx.platform === 'darwin' ? 'darwin' : 'linux', arch: ctx.arch === 'arm64' ? 'arm64' : 'amd64' };
}

/**
 * Which layout the Makefiles use, read from how they define ISTIO_OUT: from
 * GO_TOP/GOPATH/OUT_DIR (1.1–1.4) or from TARGET_OUT (1.5+; those Makefiles
 * still define GO_TOP, so its mere presence decides nothing).
 */
function layoutVar(vars: readonly MakeVar[]): { era: 'gopath' | 'modern'; v?: MakeVar } {
  const outs = vars.filter((v) => v.name === 'ISTIO_OUT');
  const modern = outs.find((v) => /\bTARGET_OUT\b/.test(v.value));
  if (modern) return { era: 'modern', v: modern };
  const gopath = outs.find((v) => /\b(GO_TOP|GOPATH|OUT_DIR)\b/.test(v.value));
  if (gopath) return { era: 'gopath', v: gopath };
  const outDir = vars.find((v) => v.name === 'OUT_DIR' && /\b(GO_TOP|GOPATH)\b/.test(v.value));
  return outDir ? { era: 'gopath', v: outDir } : { era: 'modern' };
}

/** The output layout of this checkout's release line, as its Makefile computes it. */
export function computeLayout(ctx: Context): Layout {
  const root = ctx.root!;
  const { era, v: derived } = layoutVar(ctx.project?.makeVars ?? []);
  const { os, arch } = hostOsArch(ctx);
  const env = ctx.env;
  if (era === 'gopath') {
    const goTop = env.GOPATH?.split(path.delimiter)[0] || path.resolve(root, '../../..');
    const outDir = env.OUT_DIR || path.join(goTop, 'out');
    const linuxOut = path.join(outDir, 'linux_amd64');
    return {
      era: 'gopath',
      goTop,
      outDir,
      istioOut: env.ISTIO_OUT || path.join(outDir, `${env.GOOS || os}_${env.GOARCH || arch}`, 'release'),
      istioBin: env.ISTIO_BIN || path.join(goTop, 'bin'),
      linuxOut,
      dockerBuildTop: path.join(linuxOut, 'release', 'docker_build'),
      source: derived ? where(derived) : undefined,
    };
  }
  const outDir = path.join(root, 'out');
  const targetArch = env.TARGET_ARCH || arch;
  const linuxOut = env.TARGET_OUT_LINUX || path.join(outDir, `linux_${targetArch}`);
  const istioOut = env.TARGET_OUT || path.join(outDir, `${env.TARGET_OS || os}_${targetArch}`);
  return { era: 'modern', outDir, istioOut, linuxOut, dockerBuildTop: path.join(linuxOut, 'docker_build'), source: derived ? where(derived) : undefined };
}

async function readText(ctx: Context, rel: string): Promise<string | undefined> {
  return readTextCapped(path.join(ctx.root!, rel));
}

export interface EnvoyArtifact {
  kind: 'debug' | 'release';
  url: string;
  /** where the URL (or its scheme) was read */
  urlSource: string;
  /** envoy-debug-<SHA> / envoy-<SHA> (ISTIO_ENVOY_LINUX_{DEBUG,RELEASE}_PATH) */
  path: string;
  /** the `envoy` copy beside it */
  copy: string;
}

export interface EnvoyPlan {
  sha: ProxySha;
  artifacts: EnvoyArtifact[];
  /** further copies of the native envoy: $ISTIO_OUT/envoy, and $ISTIO_BIN/envoy where init.sh makes it (1.4) */
  copies: string[];
  /** which artifact the extra copies come from (ISTIO_ENVOY_NATIVE_PATH in init.sh) */
  nativeFrom: 'debug' | 'release';
  /** AUTH_HEADER as a header: a secret, never shown */
  headers: Record<string, string>;
  layout: Layout;
}

export const DEFAULT_ENVOY_BASE = 'https://storage.googleapis.com/istio-build/proxy';

/** `$(NAME)` → `${NAME}`; undefined for values make computes with functions (`$(shell …)`). */
function makeValue(v: MakeVar | undefined): string | undefined {
  if (!v || /\$\([a-z]+\s/.test(v.value)) return undefined;
  return v.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, '$${$1}');
}

const resolved = (s: string) => !/\$[({]?[A-Za-z_]/.test(s);

/** Reads the Envoy artifacts bin/init.sh would fetch, with every override it honours. */
export async function envoyPlan(ctx: Context): Promise<EnvoyPlan | undefined> {
  return ctx.memo('envoy-plan', async () => {
    const sha = await readProxySha(ctx);
    if (!sha || !ctx.root) return undefined;
    const text = (await readText(ctx, 'bin/init.sh')) ?? '';
    const script = parseShellVars(text);
    const makeVar = (name: string) => ctx.project?.makeVars.find((v) => v.name === name && makeValue(v) !== undefined);
    const layout = computeLayout(ctx);
    const base: Record<string, string> = {
      PROXY_REPO_SHA: sha.value,
      OUT_DIR: layout.outDir,
      ISTIO_OUT: layout.istioOut,
      TARGET_OUT: layout.istioOut,
      TARGET_OUT_LINUX: layout.linuxOut,
      ...(layout.goTop ? { GO_TOP: layout.goTop } : {}),
      ...(layout.istioBin ? { ISTIO_BIN: layout.istioBin } : {}),
      GOOS_LOCAL: 'linux',
      GOARCH_LOCAL: 'amd64',
      SIDECAR: 'envoy',
    };
    // The environment wins (the scripts use `${X:-…}` and the Makefiles `?=`), then the layout
    // computed as the Makefile computes it, then what the Makefile exports to init.sh, then the
    // script's own defaults.
    const lookup = (name: string): string | undefined => ctx.env[name] || base[name] || makeValue(makeVar(name)) || script.get(name)?.value;
    const sourceOf = (n: string): string | undefined =>
      ctx.env[n] ? `env ${n}` : makeVar(n) ? where(makeVar(n)!) : script.get(n) ? `bin/init.sh:${script.get(n)!.line}` : undefined;
    const baseUrl = expand(lookup('ISTIO_ENVOY_BASE_URL') ?? DEFAULT_ENVOY_BASE, lookup);
    const urlFor = (kind: 'debug' | 'release'): { url: string; source: string } => {
      const names = kind === 'debug' ? ['ISTIO_ENVOY_LINUX_DEBUG_URL', 'ISTIO_ENVOY_DEBUG_URL'] : ['ISTIO_ENVOY_LINUX_RELEASE_URL', 'ISTIO_ENVOY_RELEASE_URL'];
      for (const n of names) {
        const v = lookup(n);
        if (!v) continue;
        const url = expand(v, lookup);
        // Name the variable that decided it: the override if set, else where the base URL came from.
        const src = ctx.env[n] ? `env ${n}` : ctx.env.ISTIO_ENVOY_BASE_URL ? 'env ISTIO_ENVOY_BASE_URL' : (sourceOf(n) ?? n);
        if (resolved(url)) return { url, source: src };
      }
      const file = kind === 'debug' ? `envoy-debug-${sha.value}.tar.gz` : `envoy-alpha-${sha.value}.tar.gz`;
      return { url: `${baseUrl.replace(/\/$/, '')}/${file}`, source: sourceOf('ISTIO_ENVOY_BASE_URL') ?? 'default' };
    };
    const pathFor = (kind: 'debug' | 'release'): string => {
      const K = kind.toUpperCase();
      const v = lookup(`ISTIO_ENVOY_LINUX_${K}_PATH`);
      const p = v ? expand(v, lookup) : '';
      if (p && resolved(p) && path.isAbsolute(p)) return p;
      return path.join(layout.linuxOut, kind, kind === 'debug' ? `envoy-debug-${sha.value}` : `envoy-${sha.value}`);
    };
    // 1.5+ fetch the debug build only when DEBUG_IMAGE is set; 1.4 and earlier always.
    const gated = /\bDEBUG_IMAGE\b/.test(text);
    const hasScript = text.length > 0;
    const wantDebug = gated ? Boolean(ctx.env.DEBUG_IMAGE) : hasScript ? /DEBUG_URL/.test(text) : layout.era === 'gopath';
    const kinds: ('debug' | 'release')[] = wantDebug ? ['debug', 'release'] : ['release'];
    const artifacts = kinds.map((kind) => {
      const { url, source } = urlFor(kind);
      const p = pathFor(kind);
      return { kind, url, urlSource: source, path: p, copy: path.join(path.dirname(p), 'envoy') };
    });
    // The native envoy copied to $ISTIO_OUT: whatever init.sh's linux branch assigns ISTIO_ENVOY_NATIVE_PATH.
    const native = /ISTIO_ENVOY_NATIVE_PATH=["']?\$\{?ISTIO_ENVOY_LINUX_(DEBUG|RELEASE)_PATH\b/.exec(text)?.[1]?.toLowerCase() as 'debug' | 'release' | undefined;
    const nativeFrom = native && kinds.includes(native) ? native : wantDebug && layout.era === 'gopath' ? 'debug' : 'release';
    const copies = [path.join(layout.istioOut, 'envoy')];
    const binCopy = hasScript ? /\$\{?ISTIO_BIN\}?["']?\/(envoy|\$\{?SIDECAR\}?)/.test(text) : layout.era === 'gopath';
    if (layout.istioBin && binCopy) copies.push(path.join(layout.istioBin, 'envoy'));
    const headers: Record<string, string> = {};
    const auth = ctx.env.AUTH_HEADER;
    const m = auth ? /^([^:]+):\s*(\S.*|)$/.exec(auth) : null;
    if (m) headers[m[1].trim()] = m[2];
    return { sha, artifacts, copies: [...new Set(copies)], nativeFrom, headers, layout };
  });
}

export interface HelmPlan {
  version: string;
  versionSource: string;
  url: string;
  /** where the URL was read */
  urlSource: string;
  /** $ISTIO_OUT/helm */
  bin: string;
  /** $ISTIO_OUT/helm-<VER> */
  versioned: string;
  /** $ISTIO_OUT/version.helm.<VER> */
  sentinel: string;
  /** the member inside the tarball: <os>-<arch>/helm */
  member: string;
}

/** What bin/init_helm.sh leaves, on the release lines that have it. */
export async function helmPlan(ctx: Context): Promise<HelmPlan | undefined> {
  return ctx.memo('helm-plan', async () => {
    if (!ctx.root) return undefined;
    const text = await readText(ctx, 'bin/init_helm.sh');
    if (text === undefined) return undefined;
    const script = parseShellVars(text);
    const v = script.get('HELM_VER');
    const version = ctx.env.HELM_VER || v?.value;
    if (!version) return undefined;
    const os = ctx.platform === 'darwin' ? 'darwin' : 'linux';
    const layout = computeLayout(ctx);
    const fixed: Record<string, string> = { HELM_VER: version, LOCAL_OS: os, OS: os, GOARCH: ctx.env.GOARCH || 'amd64' };
    const lookup = (name: string) => fixed[name] ?? ctx.env[name] ?? script.get(name)?.value;
    // The URL is usually inline in the curl line: the first helm tarball URL in the script.
    const raw = /https?:\/\/[^\s"'`]*helm-[^\s"'`]*\.tar\.gz/.exec(text)?.[0];
    const lineNo = raw ? text.slice(0, text.indexOf(raw)).split('\n').length : undefined;
    const url = raw ? expand(raw, lookup) : `https://storage.googleapis.com/kubernetes-helm/helm-${version}-${os}-amd64.tar.gz`;
    // helm-<VER>-<os>-<arch>.tar.gz unpacks to <os>-<arch>/helm.
    const platform = /helm-.+?-([a-z]+-[a-z0-9]+)\.tar\.gz$/.exec(url)?.[1] ?? `${os}-amd64`;
    return {
      version,
      versionSource: ctx.env.HELM_VER ? 'env HELM_VER' : `bin/init_helm.sh:${v!.line}`,
      url,
      urlSource: raw ? `bin/init_helm.sh:${lineNo}` : 'default',
      bin: path.join(layout.istioOut, 'helm'),
      versioned: path.join(layout.istioOut, `helm-${version}`),
      sentinel: path.join(layout.istioOut, `version.helm.${version}`),
      member: `${platform}/helm`,
    };
  });
}

export interface KubectlFacts {
  /** docker/Dockerfile.kubectl */
  file: string;
  line: number;
  url: string;
  version: string;
  /** already rewritten to `ADD kubectl /usr/bin/kubectl` (URL then comes from the backup) */
  rewritten: boolean;
  /** $DOCKER_BUILD_TOP/docker.kubectl/kubectl */
  dest: string;
}

export const KUBECTL_DOCKERFILE = 'docker/Dockerfile.kubectl';

/** The `ADD <url> /usr/bin/kubectl` of docker/Dockerfile.kubectl (or of its backup, once rewritten). */
export function parseKubectlAdd(text: string): { line: number; url?: string; rewritten: boolean } | undefined {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*ADD\s+(\S+)\s+(\S*kubectl)\s*$/i.exec(lines[i]);
    if (!m) continue;
    if (/^https?:\/\//.test(m[1])) return { line: i + 1, url: m[1], rewritten: false };
    if (m[1] === 'kubectl') return { line: i + 1, rewritten: true };
  }
  return undefined;
}

export function kubectlVersion(url: string): string | undefined {
  return /\/release\/(v\d+\.\d+\.\d+(?:[^/\d][^/]*)?)\//.exec(url)?.[1];
}
