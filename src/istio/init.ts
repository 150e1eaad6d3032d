/**
 * What `make init` downloads and where every copy must land, computed for
 * this machine from the release-line model (src/istio/line.ts): istio.deps
 * (PROXY_REPO_SHA, ZTUNNEL_REPO_SHA), bin/init.sh, bin/build_ztunnel.sh and
 * bin/init_helm.sh read with their branches followed (src/istio/script.ts),
 * the Makefiles' exported variables, the environment, and the output layout
 * of the line (GOPATH-derived in 1.1–1.4, ./out/<os>_<arch> from 1.5).
 */
import path from 'node:path';
import type { IstioContext as Context } from './project.js';
import { where } from './facts.js';
import type { Located } from './gomod.js';
import type { MakeVar } from './makefile.js';
import { DevenvError } from '../platform/errors.js';
import { readTextCapped } from '../platform/files.js';
import { expand, scriptVars, walkScript, type Lookup, type ScriptLine, type ShellVar } from './script.js';

export { expand, type ShellVar } from './script.js';

/** The top-level variables of a script when no branch can be decided (env-free). */
export function parseShellVars(text: string): Map<string, ShellVar> {
  return scriptVars(text);
}

function unquote(v: string): string {
  const t = v.trim();
  return /^(["']).*\1$/.test(t) ? t.slice(1, -1) : t;
}

export interface ProxySha extends Located {
  /** where: "env" when the SHA came from the environment */
  fromEnv?: boolean;
}

/**
 * A `<NAME>` entry of istio.deps (a JSON list of {name, lastStableSHA}); the environment wins as in the scripts.
 * Validated: it becomes part of file names (envoy-<SHA>) and URLs, so never a path like ../../x.
 */
export async function readDepsSha(ctx: Context, name: string): Promise<ProxySha | undefined> {
  const valid = (v: string) => /^[0-9a-f]{7,64}$/i.test(v);
  const fromEnv = ctx.env[name];
  if (fromEnv && !valid(fromEnv)) {
    throw new DevenvError(`${name} in the environment is not a git SHA (7–64 hex digits): ${JSON.stringify(fromEnv.slice(0, 80))}`);
  }
  if (fromEnv) return { value: fromEnv, file: `env ${name}`, line: 0, fromEnv: true };
  if (!ctx.root) return undefined;
  const text = await readTextCapped(path.join(ctx.root, 'istio.deps'));
  if (text === undefined) return undefined;
  try {
    const deps = JSON.parse(text) as { name?: string; lastStableSHA?: string }[];
    const entry = Array.isArray(deps) ? deps.find((d) => d.name === name) : undefined;
    if (entry?.lastStableSHA) {
      const idx = text.split('\n').findIndex((l) => l.includes(entry.lastStableSHA!));
      if (!valid(entry.lastStableSHA)) {
        throw new DevenvError(`istio.deps:${idx + 1}: lastStableSHA of ${name} is not a git SHA (7–64 hex digits): ${JSON.stringify(entry.lastStableSHA.slice(0, 80))}`);
      }
      return { value: entry.lastStableSHA, file: 'istio.deps', line: idx + 1 };
    }
  } catch (err) {
    if (err instanceof DevenvError) throw err;
    // fall through to a line scan (the scripts themselves grep it: `grep NAME istio.deps -A 4`)
  }
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.includes(`"${name}"`));
  for (let i = Math.max(at, 0); at >= 0 && i < Math.min(lines.length, at + 6); i++) {
    const m = /"lastStableSHA"\s*:\s*"([0-9a-f]{7,64})"/.exec(lines[i]);
    if (m) return { value: m[1], file: 'istio.deps', line: i + 1 };
  }
  return undefined;
}

/** PROXY_REPO_SHA: the environment, else istio.deps. */
export function readProxySha(ctx: Context): Promise<ProxySha | undefined> {
  return readDepsSha(ctx, 'PROXY_REPO_SHA');
}

export interface Layout {
  era: 'gopath' | 'modern';
  /** GO_TOP: first GOPATH entry, else the Makefile's default three dirs above the checkout (gopath era). */
  goTop?: string;
  outDir: string;
  /** $ISTIO_OUT (1.1–1.4: OUT_DIR/<goos>_<goarch>/release; 1.5+: TARGET_OUT) */
  istioOut: string;
  /** $ISTIO_BIN (gopath era) */
  istioBin?: string;
  /** where the linux envoy and docker builds go: OUT_DIR/linux_amd64 (≤1.4) or TARGET_OUT_LINUX */
  linuxOut: string;
  dockerBuildTop: string;
  /** TARGET_OS/TARGET_ARCH (1.5+) or GOOS/GOARCH (≤1.4), each with where it came from */
  os: Located;
  arch: Located;
  /** the Makefile line the layout was derived from */
  source?: string;
}

function hostOsArch(ctx: Context): { os: string; arch: string } {
  return { os: ctx.platform === 'darwin' ? 'darwin' : 'linux', arch: ctx.arch === 'arm64' ? 'arm64' : ctx.arch === 'arm' ? 'arm' : 'amd64' };
}

const fromEnvOrHost = (ctx: Context, names: string[], host: string): Located => {
  const n = names.find((k) => ctx.env[k]);
  return n ? { value: ctx.env[n]!, file: `env ${n}`, line: 0 } : { value: host, file: 'host', line: 0 };
};

/** The output layout of this checkout's release line, as its Makefile computes it. */
export function computeLayout(ctx: Context): Layout {
  const root = ctx.root!;
  const era = ctx.project?.line.layout;
  const source = era && era.line > 0 ? where(era) : undefined;
  const host = hostOsArch(ctx);
  const env = ctx.env;
  if (era?.value === 'gopath') {
    const goTop = env.GOPATH?.split(path.delimiter)[0] || path.resolve(root, '../../..');
    const outDir = env.OUT_DIR || path.join(goTop, 'out');
    const linuxOut = path.join(outDir, 'linux_amd64');
    const os = fromEnvOrHost(ctx, ['GOOS'], host.os);
    const arch = fromEnvOrHost(ctx, ['GOARCH'], host.arch);
    return {
      era: 'gopath',
      goTop,
      outDir,
      istioOut: env.ISTIO_OUT || path.join(outDir, `${os.value}_${arch.value}`, 'release'),
      istioBin: env.ISTIO_BIN || path.join(goTop, 'bin'),
      linuxOut,
      dockerBuildTop: path.join(linuxOut, 'release', 'docker_build'),
      os,
      arch,
      source,
    };
  }
  const outDir = path.join(root, 'out');
  const os = fromEnvOrHost(ctx, ['TARGET_OS'], host.os);
  const arch = fromEnvOrHost(ctx, ['TARGET_ARCH'], host.arch);
  const linuxArch = ctx.project?.line.linuxOut?.value === 'amd64' ? 'amd64' : arch.value;
  const linuxOut = env.TARGET_OUT_LINUX || path.join(outDir, `linux_${linuxArch}`);
  const istioOut = env.TARGET_OUT || path.join(outDir, `${os.value}_${arch.value}`);
  return { era: 'modern', outDir, istioOut, linuxOut, dockerBuildTop: path.join(linuxOut, 'docker_build'), os, arch, source };
}

/** One download `make init` makes, and every file it leaves. */
export interface Fetch {
  kind: 'debug' | 'release' | 'centos' | 'wasm' | 'ztunnel';
  /** e.g. "envoy release", "stats-filter.wasm", "ztunnel" */
  name: string;
  url: string;
  /** where the URL (or its base) was read */
  urlSource: string;
  /** the member to extract from the tarball; absent when the URL is the file itself */
  member?: string;
  /** the file whose presence makes the script skip this download */
  path: string;
  /** copies the script makes right after the download, in its order */
  copies: string[];
  /** `bin/init.sh:168`: the line that downloads it */
  at: string;
}

/** A copy the script makes after its downloads (`cp -f SRC DEST`), in its order. */
export interface Copy {
  from: string;
  to: string;
  at: string;
}

/** A fetch with no skip-if-exists rule: nothing placed beforehand keeps `make init` off the network. */
export interface Unprefetchable {
  url: string;
  dest?: string;
  at: string;
}

/** Whether make will run bin/init.sh before anything that needs its outputs, read from the stamp rule. */
export interface InitStampState {
  /** the stamp file, absolute */
  stamp: string;
  /** make runs the script first: the stamp is absent, or `newer` is newer than it */
  reruns: boolean;
  /** the prerequisite newer than the stamp */
  newer?: string;
  /** the stamp rule: `Makefile.core.mk:290` */
  at: string;
}

/** A state in which make runs the script first, so the script's own copies are make's. */
export type InitRerun = InitStampState & { reruns: true };

/**
 * The stamp rule (`$(ISTIO_OUT)/istio_is_init: bin/init.sh istio.deps`, every line) as make would judge it now:
 * the script runs when the stamp is absent or older than a prerequisite (a newer mtime). Undefined when the rule
 * cannot be read: none in the Makefiles, or a target naming another variable.
 */
export async function initStampState(ctx: Context, layout: Layout): Promise<InitStampState | undefined> {
  const rule = ctx.project?.line.initStamp;
  if (!rule || !ctx.root) return undefined;
  const at = where(rule);
  const target = rule.value.target.replace(/\$[({](?:ISTIO_OUT|TARGET_OUT)[)}]/g, () => layout.istioOut);
  if (target.includes('$')) return undefined;
  const stamp = path.resolve(ctx.root, target);
  const mtime = async (p: string) => (await ctx.fs.stat(p).catch(() => undefined))?.mtimeMs;
  const own = await mtime(stamp);
  if (own === undefined) return { stamp, reruns: true, at };
  for (const pre of rule.value.prereqs) {
    if (pre.includes('$')) continue;
    const t = await mtime(path.resolve(ctx.root, pre));
    if (t !== undefined && t > own) return { stamp, reruns: true, newer: pre, at };
  }
  return { stamp, reruns: false, at };
}

/** The stamp state when make will run bin/init.sh first; undefined when it will not, or when that cannot be told. */
export async function initRerun(ctx: Context, layout: Layout): Promise<InitRerun | undefined> {
  const st = await initStampState(ctx, layout);
  return st?.reruns ? (st as InitRerun) : undefined;
}

export interface InitPlan {
  sha: ProxySha;
  fetches: Fetch[];
  copies: Copy[];
  unprefetchable: Unprefetchable[];
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

function authHeaders(ctx: Context): Record<string, string> {
  const headers: Record<string, string> = {};
  const auth = ctx.env.AUTH_HEADER;
  const m = auth ? /^([^:]+):\s*(\S.*|)$/.exec(auth) : null;
  if (m) headers[m[1].trim()] = m[2];
  return headers;
}

interface Resolver {
  lookup: Lookup;
  /** `env X`, `Makefile.core.mk:167`, `bin/init.sh:40` */
  sourceOf: (name: string) => string | undefined;
  lines: ScriptLine[];
}

/**
 * How a script sees its variables when make runs it: the environment wins
 * (`${X:-…}` and make's `?=`), then what the Makefile passes or exports (the
 * layout, computed as make computes it, and the Makefiles' assignments), then
 * the script's own defaults; a plain assignment in a branch bash takes wins
 * over all of them.
 */
function resolver(ctx: Context, script: string, file: string, base: Record<string, string>): Resolver {
  const makeVar = (name: string) => ctx.project?.makeVars.find((v) => v.name === name && makeValue(v) !== undefined);
  const outer: Lookup = (name) => ctx.env[name] || base[name] || makeValue(makeVar(name));
  const vars = scriptVars(script, outer);
  const lookup: Lookup = (name) => {
    const s = vars.get(name);
    if (s && !s.overridable) return s.value;
    return outer(name) ?? s?.value;
  };
  const sourceOf = (n: string): string | undefined => {
    const s = vars.get(n);
    if (s && !s.overridable) return `${file}:${s.line}`;
    if (ctx.env[n]) return `env ${n}`;
    if (base[n]) return undefined;
    const mv = makeVar(n);
    if (mv) return where(mv);
    return s ? `${file}:${s.line}` : undefined;
  };
  return { lookup, sourceOf, lines: walkScript(script, lookup) };
}

/** The variable names a value refers to, outermost first (`${A}/x-${B}` → A, B). */
function refs(value: string): string[] {
  return [...value.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
}

/** Where a URL variable's value was decided: the variable itself if set in env, else its chain down to a *_BASE_URL. */
function urlSource(r: Resolver, name: string, baseName: string): string {
  const own = r.sourceOf(name);
  if (own?.startsWith('env ')) return own;
  const base = r.sourceOf(baseName);
  if (base?.startsWith('env ')) return base;
  const seen = new Set<string>();
  const walk = (n: string): boolean => {
    if (n === baseName) return true;
    if (seen.has(n)) return false;
    seen.add(n);
    const v = r.lookup(n);
    return v !== undefined && refs(v).some(walk);
  };
  if (walk(name) && base) return own && own !== base ? `${own} (base: ${baseName}, ${base})` : base;
  return own ?? 'default';
}

function fnBody(lines: ScriptLine[], fn: string): ScriptLine[] {
  return lines.filter((l) => l.fn === fn);
}

/** The name the script copies `$2` to, beside it: `cp -f "$2" "$(dirname "$2")/<name>"`. */
function besideCopy(body: ScriptLine[], third: string | undefined, lookup: Lookup): string | undefined {
  for (const l of body) {
    const m = /^cp\s+(?:-f\s+)?"\$\{?2\}?"\s+"\$\(dirname\s+"\$\{?2\}?"\)\/([^"]+)"\s*$/.exec(l.text);
    if (!m) continue;
    const raw = m[1].replace(/\$\{?3\}?/g, third ?? '');
    return expand(raw, lookup);
  }
  return undefined;
}

async function readText(ctx: Context, rel: string): Promise<string | undefined> {
  // Absent is undefined; unreadable or oversized is an error naming the file.
  return readTextCapped(path.join(ctx.root!, rel));
}

function baseFor(ctx: Context, layout: Layout, sha: Record<string, string>): Record<string, string> {
  const host = hostOsArch(ctx);
  return {
    ...sha,
    OUT_DIR: layout.outDir,
    ISTIO_OUT: layout.istioOut,
    TARGET_OUT: layout.istioOut,
    TARGET_OUT_LINUX: layout.linuxOut,
    ISTIO_OUT_LINUX: layout.linuxOut,
    ...(layout.goTop ? { GO_TOP: layout.goTop, GOPATH: ctx.env.GOPATH || layout.goTop } : {}),
    ...(layout.istioBin ? { ISTIO_BIN: layout.istioBin } : {}),
    SIDECAR: 'envoy',
    GOOS_LOCAL: host.os,
    GOARCH_LOCAL: host.arch,
    LOCAL_OS: host.os === 'darwin' ? 'Darwin' : 'Linux',
    GOOS: layout.os.value,
    GOARCH: layout.arch.value,
    TARGET_OS: layout.os.value,
    TARGET_ARCH: layout.arch.value,
  };
}

const INIT_SH = 'bin/init.sh';

/**
 * Everything bin/init.sh downloads and copies, in its order, on this machine:
 * the Envoy tarballs (debug only where the branch that fetches it is taken:
 * always ≤1.4, DEBUG_IMAGE from 1.5), the centos Envoy (1.8–1.18), the wasm
 * filters (1.5–1.17), the copies init.sh makes after them, and the fetches no
 * prefetch can satisfy (1.2/1.3's istio_proxy.deps).
 */
export async function initPlan(ctx: Context): Promise<InitPlan | undefined> {
  return ctx.memo('init-plan', async () => {
    const sha = await readProxySha(ctx);
    if (!sha || !ctx.root) return undefined;
    const text = ctx.project?.line.scripts.init ?? (await readText(ctx, INIT_SH)) ?? '';
    const layout = computeLayout(ctx);
    const base = baseFor(ctx, layout, { PROXY_REPO_SHA: sha.value });
    const r = resolver(ctx, text, INIT_SH, base);
    const { lookup } = r;
    const abs = (v: string): string | undefined => {
      const e = expand(unquote(v), lookup);
      return resolved(e) && path.isAbsolute(e) ? path.normalize(e) : undefined;
    };
    const sidecar = lookup('SIDECAR') || 'envoy';
    const fetches: Fetch[] = [];
    const copies: Copy[] = [];
    const unprefetchable: Unprefetchable[] = [];
    const envoyBody = fnBody(r.lines, 'download_envoy_if_necessary');
    const wasmBody = fnBody(r.lines, 'download_wasm_if_necessary');
    const member = (() => {
      const m = envoyBody.map((l) => /usr\/local\/bin\/("\$\{SIDECAR\}"|\$\{SIDECAR\}|\$SIDECAR|envoy)(?=[\s;]|$)/.exec(l.text)).find(Boolean);
      return m ? `usr/local/bin/${expand(unquote(m[1]), lookup) || sidecar}` : `usr/local/bin/${sidecar}`;
    })();
    const kindOf = (urlVar: string): Fetch['kind'] => (/CENTOS/.test(urlVar) ? 'centos' : /DEBUG/.test(urlVar) ? 'debug' : 'release');
    const urlOf = (urlVar: string) => {
      const url = expand(`\${${urlVar}}`, lookup);
      return { url, urlSource: urlSource(r, urlVar, 'ISTIO_ENVOY_BASE_URL') };
    };
    let plugins: string[] | undefined;
    let wasmUrl: string | undefined;
    let wasmUrlLine = 0;
    for (const l of r.lines) {
      if (l.fn || !l.taken) continue;
      const at = `${INIT_SH}:${l.line}`;
      // 1.3+: download_envoy_if_necessary "${URL}" "$PATH" ["${SIDECAR}-centos"]
      let m = /^download_envoy_if_necessary\s+"\$\{?([A-Z_]+)\}?"\s+"\$\{?([A-Z_]+)\}?"(?:\s+"([^"]*)")?/.exec(l.text);
      if (m) {
        if (/MACOS|MAC_/.test(m[1])) continue;
        const p = abs(`\${${m[2]}}`);
        if (!p) continue;
        const third = m[3] !== undefined ? expand(m[3], lookup) : undefined;
        const beside = envoyBody.length ? besideCopy(envoyBody, third, lookup) : sidecar;
        const kind = kindOf(m[1]);
        fetches.push({ kind, name: kind === 'centos' ? 'envoy centos' : `envoy ${kind}`, ...urlOf(m[1]), member, path: p, copies: beside ? [path.join(path.dirname(p), beside)] : [], at });
        continue;
      }
      // 1.1/1.2: inline `${DOWNLOAD_COMMAND} "${ISTIO_ENVOY_DEBUG_URL}" | tar xz` into ISTIO_ENVOY_*_PATH, no copy beside
      m = /\$\{?DOWNLOAD_COMMAND\}?\s+"\$\{?(ISTIO_ENVOY_(?:DEBUG|RELEASE)_URL)\}?"\s*\|\s*tar\b/.exec(l.text);
      if (m) {
        const p = abs(`\${${m[1].replace(/_URL$/, '_PATH')}}`);
        if (!p) continue;
        const kind = kindOf(m[1]);
        fetches.push({ kind, name: `envoy ${kind}`, ...urlOf(m[1]), member: 'usr/local/bin/envoy', path: p, copies: [], at });
        continue;
      }
      // 1.5–1.17: for plugin in stats metadata_exchange; FILTER_WASM_URL=…; download_wasm_if_necessary "${FILTER_WASM_URL}" DEST
      if (/^for\s+plugin\s+in\s/.test(l.text)) {
        plugins = l.text.replace(/^for\s+plugin\s+in\s/, '').split(/[\s;]+/).filter((w) => w && w !== 'do');
        continue;
      }
      if (/^done\b/.test(l.text)) {
        plugins = undefined;
        continue;
      }
      m = /^FILTER_WASM_URL="?([^"]+)"?$/.exec(l.text);
      if (m && plugins) {
        wasmUrl = m[1];
        wasmUrlLine = l.line;
        continue;
      }
      m = /^download_wasm_if_necessary\s+"\$\{?FILTER_WASM_URL\}?"\s+(\S.*)$/.exec(l.text);
      if (m && plugins && wasmUrl) {
        for (const plugin of plugins) {
          const look: Lookup = (n) => (n === 'plugin' ? plugin : lookup(n));
          const url = expand(wasmUrl, look);
          const dest = expand(m[1].replace(/"/g, ''), look);
          if (!resolved(dest) || !path.isAbsolute(dest)) continue;
          // download_wasm_if_necessary: fetched as basename(URL) beside $2 (skipped if that exists), then copied to $2
          const fetched = wasmBody.some((b) => /basename\s+"\$1"/.test(b.text)) ? path.join(path.dirname(dest), path.basename(url)) : dest;
          const src = r.sourceOf('ISTIO_ENVOY_BASE_URL');
          fetches.push({
            kind: 'wasm',
            name: path.basename(dest),
            url,
            urlSource: src?.startsWith('env ') ? src : `${INIT_SH}:${wasmUrlLine}${src ? ` (base: ISTIO_ENVOY_BASE_URL, ${src})` : ''}`,
            path: fetched,
            copies: fetched === dest ? [] : [dest],
            at,
          });
        }
        continue;
      }
      // The copies after the downloads: cp [-f] "SRC" "DEST" with both absolute (not the relative usr/local/bin in 1.1's block)
      m = /^cp\s+(?:-f\s+)?("[^"]+"|\S+)\s+("[^"]+"|\S+)\s*$/.exec(l.text);
      if (m) {
        const from = abs(m[1]);
        const to = abs(m[2]);
        if (from && to) copies.push({ from, to, at });
        continue;
      }
      // 1.2/1.3: ISTIO_PROXY_DEPS_URL="https://raw.githubusercontent.com/istio/proxy/${PROXY_REPO_SHA}/istio.deps", fetched on every run
      if (/raw\.githubusercontent\.com\/istio\/proxy\//.test(l.text)) {
        const a = /^(?:export\s+)?([A-Z_]+)=/.exec(l.text);
        const raw = a ? lookup(a[1]) : /https:\/\/raw\.githubusercontent\.com\/[^\s"']+/.exec(l.text)?.[0];
        if (raw) unprefetchable.push({ url: expand(raw, lookup), dest: abs('${ISTIO_PROXY_DEPS_FILE}'), at });
      }
    }
    return { sha, fetches, copies, unprefetchable, headers: authHeaders(ctx), layout };
  });
}

export interface ZtunnelPlan {
  sha: ProxySha;
  fetches: Fetch[];
  /** the Makefile line that makes `make init` run bin/build_ztunnel.sh */
  target: string;
  headers: Record<string, string>;
  layout: Layout;
}

const ZTUNNEL_SH = 'bin/build_ztunnel.sh';

/** What bin/build_ztunnel.sh downloads (1.18+, when `init:` depends on init-ztunnel-rs), and its three destinations. */
export async function ztunnelPlan(ctx: Context): Promise<ZtunnelPlan | undefined> {
  return ctx.memo('ztunnel-plan', async () => {
    const line = ctx.project?.line;
    const targets = line?.initTargets;
    const text = line?.scripts.ztunnel;
    if (!ctx.root || !targets?.value.includes('init-ztunnel-rs') || !text) return undefined;
    const sha = await readDepsSha(ctx, 'ZTUNNEL_REPO_SHA');
    if (!sha) return undefined;
    const layout = computeLayout(ctx);
    const r = resolver(ctx, text, ZTUNNEL_SH, baseFor(ctx, layout, { ZTUNNEL_REPO_SHA: sha.value }));
    const body = fnBody(r.lines, 'download_ztunnel_if_necessary');
    const fetches: Fetch[] = [];
    for (const l of r.lines) {
      if (l.fn || !l.taken) continue;
      const m = /^download_ztunnel_if_necessary\s+"\$\{?([A-Z_]+)\}?"\s+"\$\{?([A-Z_]+)\}?"(?:\s+"([^"]*)")?/.exec(l.text);
      if (!m) continue;
      const p = expand(`\${${m[2]}}`, r.lookup);
      if (!resolved(p) || !path.isAbsolute(p)) continue;
      const out: string[] = [];
      const beside = besideCopy(body, m[3] !== undefined ? expand(m[3], r.lookup) : undefined, r.lookup);
      if (beside) out.push(path.join(path.dirname(p), beside));
      // cp -f "${2}" "${TARGET_OUT_LINUX}/ztunnel": the copy the build uses
      for (const b of body) {
        const c = /^cp\s+(?:-f\s+)?"\$\{?2\}?"\s+"([^"]*\$\{?TARGET_OUT_LINUX\}?[^"]*)"\s*$/.exec(b.text);
        if (c) out.push(path.normalize(expand(c[1], r.lookup)));
      }
      fetches.push({
        kind: 'ztunnel',
        name: 'ztunnel',
        url: expand(`\${${m[1]}}`, r.lookup),
        urlSource: urlSource(r, m[1], 'ISTIO_ZTUNNEL_BASE_URL'),
        path: path.normalize(p),
        copies: [...new Set(out)],
        at: `${ZTUNNEL_SH}:${l.line}`,
      });
    }
    if (fetches.length === 0) return undefined;
    return { sha, fetches, target: where(targets), headers: authHeaders(ctx), layout };
  });
}

/**
 * What an `s3://` URL needs: devenv downloads over HTTP(S) only, so a
 * mirrors.urls rule must map the bucket to an HTTP(S) mirror.
 */
export function s3Rule(url: string): string {
  const m = /^s3:\/\/([^/]+\/[^/]+\/)?/.exec(url);
  const prefix = m?.[1] ? `s3://${m[1]}` : 's3://';
  return `"${prefix}": "https://<your mirror>/${m?.[1] ?? ''}"`;
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
