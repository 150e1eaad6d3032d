/**
 * Base images read from every Dockerfile in a checkout: FROM lines with ARG
 * defaults substituted, stage names (`FROM x AS y`, then `FROM y`) recognised.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

export interface FromRef {
  /** The image reference after ARG substitution. */
  image: string;
  /** repo-relative file */
  file: string;
  line: number;
  /** true when ARGs could not all be substituted (the reference still has `$`). */
  unresolved: boolean;
  /** true when the final stage needs this stage (what BuildKit builds). */
  reachable: boolean;
}

const SKIP_DIRS = new Set(['vendor', 'out', '.git', 'node_modules', '.devenv-tmp']);

export function isDockerfileName(name: string): boolean {
  return name === 'Dockerfile' || name.startsWith('Dockerfile.') || name.endsWith('.Dockerfile') || name.endsWith('.dockerfile');
}

/** Repo-relative paths of every Dockerfile below `root`, skipping vendor/, out/, .git/. */
export async function findDockerfiles(root: string, signal?: AbortSignal): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    // The walk stops when the check times out or the run is interrupted.
    if (signal?.aborted) return;
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    await Promise.all(
      entries.map(async (e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
          if (!SKIP_DIRS.has(e.name)) await walk(p);
        } else if (e.isFile() && isDockerfileName(e.name)) {
          out.push(path.relative(root, p));
        }
      }),
    );
  }
  await walk(root);
  return out.sort();
}

function substitute(value: string, args: Map<string, string | undefined>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced, op, word, bare) => {
    const name = braced ?? bare;
    const v = args.get(name);
    if (op === '-') return v ? v : word;
    if (op === '+') return v ? word : '';
    return v === undefined ? whole : v;
  });
}

/** Joins continuation lines, keeping the number of the line each instruction starts on. */
function instructions(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const lines = text.split(/\r?\n/);
  let cur: { line: number; text: string } | undefined;
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    if (!cur && (trimmed === '' || trimmed.startsWith('#'))) return;
    if (cur && trimmed.startsWith('#')) return;
    const cont = /\\\s*$/.test(raw);
    const piece = raw.replace(/\\\s*$/, '');
    if (!cur) cur = { line: i + 1, text: piece };
    else cur.text += ' ' + piece.trim();
    if (!cont) {
      out.push({ line: cur.line, text: cur.text.trim() });
      cur = undefined;
    }
  });
  if (cur) out.push({ line: cur.line, text: cur.text.trim() });
  return out;
}

/**
 * The images a Dockerfile builds FROM (not stage references, not `scratch`).
 * `buildArgs` are the `--build-arg`s make passes: they replace the default of
 * a global ARG the Dockerfile declares (an undeclared build arg changes nothing,
 * as in docker). `reachable` says whether the stage is one the final stage
 * needs (through FROM or COPY --from); BuildKit builds only those, the classic
 * builder builds every stage.
 */
export function parseFroms(text: string, file: string, buildArgs: ReadonlyMap<string, string> = new Map()): FromRef[] {
  const args = new Map<string, string | undefined>();
  const stageNames = new Map<string, number>();
  interface Stage {
    base?: number;
    from?: FromRef;
    deps: Set<number>;
  }
  const stages: Stage[] = [];
  for (const ins of instructions(text)) {
    const m = /^(\w+)\s+(\S.*|)$/.exec(ins.text);
    if (!m) continue;
    const op = m[1].toUpperCase();
    if (op === 'ARG') {
      // Only ARGs before the first FROM (global) apply to FROM lines; later ones are stage-scoped.
      if (stages.length > 0) continue;
      for (const decl of m[2].split(/\s+/)) {
        const eq = decl.indexOf('=');
        const name = eq < 0 ? decl : decl.slice(0, eq);
        let value = eq < 0 ? undefined : decl.slice(eq + 1);
        if (value && /^(["']).*\1$/.test(value)) value = value.slice(1, -1);
        const passed = buildArgs.get(name);
        args.set(name, passed !== undefined ? passed : value === undefined ? undefined : substitute(value, args));
      }
    } else if (op === 'FROM') {
      const words = m[2].split(/\s+/).filter((w) => !w.startsWith('--'));
      const image = substitute(words[0] ?? '', args);
      const asIdx = words.findIndex((w) => w.toLowerCase() === 'as');
      const stage: Stage = { deps: new Set() };
      const ref = stageNames.get(image.toLowerCase());
      if (ref !== undefined) stage.base = ref;
      else if (image && image !== 'scratch') stage.from = { image, file, line: ins.line, unresolved: image.includes('$'), reachable: false };
      if (asIdx > 0 && words[asIdx + 1]) stageNames.set(words[asIdx + 1].toLowerCase(), stages.length);
      stages.push(stage);
    } else if ((op === 'COPY' || op === 'RUN') && stages.length > 0) {
      for (const w of m[2].split(/\s+/)) {
        const from = /^--(?:from|mount=.*\bfrom)=([^,\s]+)/.exec(w);
        if (!from) continue;
        const name = from[1].toLowerCase();
        const idx = stageNames.get(name) ?? (/^\d+$/.test(name) ? Number(name) : undefined);
        if (idx !== undefined && idx < stages.length) stages[stages.length - 1].deps.add(idx);
      }
    }
  }
  const seen = new Set<number>();
  const visit = (i: number) => {
    if (seen.has(i) || !stages[i]) return;
    seen.add(i);
    const s = stages[i];
    if (s.from) s.from.reachable = true;
    if (s.base !== undefined) visit(s.base);
    for (const d of s.deps) visit(d);
  };
  if (stages.length > 0) visit(stages.length - 1);
  return stages.flatMap((s) => (s.from ? [s.from] : []));
}

/** `gcr.io/distroless/static` → `gcr.io/distroless/static:latest`; digests and tags kept. */
export function normalizeRef(ref: string): string {
  if (ref.includes('@')) return ref;
  const lastSlash = ref.lastIndexOf('/');
  return ref.slice(lastSlash + 1).includes(':') ? ref : `${ref}:latest`;
}

export async function readBaseImages(root: string, signal?: AbortSignal): Promise<FromRef[]> {
  const files = await findDockerfiles(root, signal);
  const all = await Promise.all(
    files.map(async (f) => {
      try {
        return parseFroms(await fs.readFile(path.join(root, f), 'utf8'), f);
      } catch {
        return [];
      }
    }),
  );
  return all.flat();
}

/** One `docker build` that `make docker` runs: the Dockerfile and the build args make passes. */
export interface DockerBuild {
  /** `docker.pilot` (tools/istio-docker.mk) or `pilot` (tools/docker.yaml). */
  target: string;
  /** repo-relative Dockerfile */
  dockerfile: string;
  /** Where the build was declared: `tools/istio-docker.mk:102`, `tools/docker.yaml:37`. */
  source: string;
  /** One map per build variant (BASE_DISTRIBUTION). */
  variants: Map<string, string>[];
}

export interface MakeDockerBuilds {
  /** The file that lists what `make docker` builds. */
  listedIn: 'tools/istio-docker.mk' | 'tools/docker.yaml';
  builds: DockerBuild[];
  /** classic `docker build` builds every stage; BuildKit (buildx) only those the final stage needs. */
  builder: 'classic' | 'buildkit' | 'crane';
  /** Where BASE_VERSION / ISTIO_BASE_REGISTRY / variants were read. */
  details: string[];
}

type Env = Record<string, string | undefined>;

async function readOptional(root: string, rel: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path.join(root, rel), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** Make assignments joined across `\` continuations: name → first value and line. */
function makeAssignments(text: string): Map<string, { op: string; value: string; line: number }> {
  const out = new Map<string, { op: string; value: string; line: number }>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*(?:export\s+)?([A-Za-z_]\w*)\s*(\?=|::=|:=|=)\s*(\S.*|)$/.exec(lines[i]);
    if (!m) continue;
    let value = m[3];
    const start = i;
    while (/\\\s*$/.test(value) && i + 1 < lines.length) {
      value = value.replace(/\\\s*$/, ' ') + lines[++i];
    }
    value = value.replace(/\s#.*$/, '').trim();
    if (!out.has(m[1])) out.set(m[1], { op: m[2], value, line: start + 1 });
  }
  return out;
}

/** Expands `$(X)` and `${X}` from `vars`; undefined when a variable is unknown. */
function expandMake(value: string, vars: (name: string) => string | undefined): string | undefined {
  let unknown = false;
  const out = value.replace(/\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]/g, (_w, name: string) => {
    const v = vars(name);
    if (v === undefined) unknown = true;
    return v ?? '';
  });
  return unknown ? undefined : out;
}

/** The make variables the build args use: environment first (make's `?=` yields to it), then Makefile.core.mk. */
async function makeVarReader(root: string, env: Env, details: string[]): Promise<(name: string) => string | undefined> {
  const core = makeAssignments((await readOptional(root, 'Makefile.core.mk')) ?? '');
  const reported = new Set<string>();
  return (name) => {
    const fromEnv = env[name];
    const a = core.get(name);
    const useEnv = fromEnv !== undefined && (!a || a.op === '?=');
    const value = useEnv ? fromEnv : a && !a.value.includes('$') ? a.value : undefined;
    if (value !== undefined && !reported.has(name) && (name === 'BASE_VERSION' || name === 'ISTIO_BASE_REGISTRY')) {
      reported.add(name);
      details.push(`${name}=${value} (${useEnv ? 'environment' : `Makefile.core.mk:${a!.line}`})`);
    }
    return value;
  };
}

function parseBuildArgs(text: string, vars: (name: string) => string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  const words = text.trim().split(/\s+/);
  for (let i = 0; i < words.length; i++) {
    if (words[i] !== '--build-arg' || !words[i + 1]) continue;
    const kv = words[++i];
    const eq = kv.indexOf('=');
    if (eq <= 0) continue;
    const value = expandMake(kv.slice(eq + 1), vars);
    // An unknown make variable: leave the Dockerfile's default (devenv cannot know the value).
    if (value !== undefined) out.set(kv.slice(0, eq), value);
  }
  return out;
}

async function fromIstioDockerMk(root: string, text: string, env: Env): Promise<MakeDockerBuilds> {
  const file = 'tools/istio-docker.mk';
  const details: string[] = [];
  const core = await makeVarReader(root, env, details);
  const mk = makeAssignments(text);
  const vars = (name: string) => {
    const a = mk.get(name);
    if (a && !a.value.includes('$')) return a.op === '?=' && env[name] !== undefined ? env[name] : a.value;
    return core(name);
  };
  const targetsVar = mk.get('DOCKER_TARGETS');
  const targetsText = targetsVar && targetsVar.op === '?=' && env.DOCKER_TARGETS !== undefined ? env.DOCKER_TARGETS : targetsVar?.value ?? '';
  const targets = targetsText.split(/\s+/).filter((t) => t.startsWith('docker.'));
  const variantsVar = mk.get('DOCKER_BUILD_VARIANTS');
  const variantsText = env.DOCKER_BUILD_VARIANTS ?? variantsVar?.value ?? 'default';
  // 1.12–1.15 pass BASE_DISTRIBUTION=$(call normalize-tag,…), which maps default to debug.
  const normalize = /define\s+normalize-tag/.test(text) ? (v: string) => (v === 'default' ? 'debug' : v) : (v: string) => v;
  const variants = variantsText.split(/\s+/).filter(Boolean).map(normalize);
  details.push(`DOCKER_BUILD_VARIANTS=${variantsText} (${env.DOCKER_BUILD_VARIANTS !== undefined ? 'environment' : variantsVar ? `${file}:${variantsVar.line}` : 'default'})`);
  const lines = text.split(/\r?\n/);
  const builds: DockerBuild[] = [];
  for (const target of targets) {
    let dockerfile: string | undefined;
    let line = 0;
    let buildArgs = new Map<string, string>();
    let template: string | undefined;
    let renames = false;
    lines.forEach((raw, i) => {
      if (!raw.startsWith(`${target}:`)) return;
      const rhs = raw.slice(target.length + 1).trim();
      if (rhs.startsWith('BUILD_ARGS=')) buildArgs = parseBuildArgs(rhs.slice('BUILD_ARGS='.length), vars);
      else if (rhs.startsWith('VM_OS_DOCKERFILE_TEMPLATE=')) template = rhs.slice('VM_OS_DOCKERFILE_TEMPLATE='.length).trim();
      else {
        // `docker/Dockerfile$$(suffix $$@)` names the Dockerfile after the target (docker.kubectl → Dockerfile.kubectl).
        const withSuffix = rhs.split('$$(suffix $$@)').join(target.slice(target.lastIndexOf('.')));
        for (const w of withSuffix.split(/\s+/)) {
          const expanded = expandMake(w, vars);
          if (expanded && path.basename(expanded).startsWith('Dockerfile')) {
            dockerfile = expanded;
            line = i + 1;
          }
        }
      }
      for (let j = i + 1; j < lines.length && lines[j].startsWith('\t'); j++) {
        if (lines[j].includes('RENAME_TEMPLATE')) renames = true;
        if (!line) line = i + 1;
      }
    });
    if (renames) {
      // The VM images copy a template Dockerfile (VM_OS_DOCKERFILE_TEMPLATE) under the target's name.
      const echo = vars('ECHO_DOCKER') ?? 'pkg/test/echo/docker';
      dockerfile = `${echo}/${template ?? vars('VM_OS_DOCKERFILE_TEMPLATE') ?? 'Dockerfile.app_sidecar'}`;
    }
    if (!dockerfile) continue;
    builds.push({
      target,
      dockerfile,
      source: `${file}:${line}`,
      variants: variants.map((v) => new Map([...buildArgs, ['BASE_DISTRIBUTION', v]])),
    });
  }
  const builder = env.DOCKER_BUILDKIT === '1' ? 'buildkit' : 'classic';
  return { listedIn: file, builds, builder, details };
}

/** tools/docker-builder passes AGENTGATEWAY_IMAGE=cr.agentgateway.dev/agentgateway:<istio.deps AGENTGATEWAY_IMAGE> (master). */
async function agentgatewayFromDeps(root: string): Promise<string | undefined> {
  const text = await readOptional(root, 'istio.deps');
  if (!text) return undefined;
  try {
    const deps = JSON.parse(text) as { name?: string; lastStableSHA?: string }[];
    const v = Array.isArray(deps) ? deps.find((d) => d?.name === 'AGENTGATEWAY_IMAGE')?.lastStableSHA : undefined;
    return v ? `cr.agentgateway.dev/agentgateway:${v}` : undefined;
  } catch {
    return undefined;
  }
}

function vmImage(target: string): Map<string, string> {
  if (!target.startsWith('app_sidecar')) return new Map();
  const parts = target.split('_');
  const k = target.startsWith('app_sidecar_base') ? 3 : 2;
  return parts[k] && parts[k + 1] ? new Map([['VM_IMAGE_NAME', parts[k]], ['VM_IMAGE_VERSION', parts[k + 1]]]) : new Map();
}

async function fromDockerYaml(root: string, text: string, env: Env): Promise<MakeDockerBuilds> {
  const file = 'tools/docker.yaml';
  const details: string[] = [];
  const vars = await makeVarReader(root, env, details);
  const { default: YAML } = await import('yaml');
  const doc = YAML.parse(text) as { images?: { name?: unknown; dockerfile?: unknown; base?: unknown }[] } | null;
  const variantsText = env.DOCKER_BUILD_VARIANTS ?? 'default';
  // tools/docker-builder: the "default" variant builds BASE_DISTRIBUTION=debug.
  const variants = variantsText.split(/\s+/).filter(Boolean).map((v) => (v === 'default' ? 'debug' : v));
  details.push(`DOCKER_BUILD_VARIANTS=${variantsText} (${env.DOCKER_BUILD_VARIANTS !== undefined ? 'environment' : 'default'})`);
  const agentgateway = env.AGENTGATEWAY_IMAGE || (await agentgatewayFromDeps(root));
  const lines = text.split(/\r?\n/);
  const builds: DockerBuild[] = [];
  for (const img of doc?.images ?? []) {
    if (!img || typeof img.dockerfile !== 'string' || typeof img.name !== 'string') continue;
    // `base: true` images are built by `make docker.base`-style targets, not by `make docker`.
    if (img.base === true) continue;
    const dockerfile = img.dockerfile;
    const idx = lines.findIndex((l) => {
      const m = /^\s*(?:-\s*)?dockerfile:\s*(\S+)/.exec(l);
      return m !== null && m[1] === dockerfile;
    });
    const common = new Map<string, string>(vmImage(img.name));
    if (agentgateway) common.set('AGENTGATEWAY_IMAGE', agentgateway);
    for (const name of ['BASE_VERSION', 'ISTIO_BASE_REGISTRY']) {
      const v = vars(name);
      if (v !== undefined) common.set(name, v);
    }
    builds.push({
      target: img.name,
      dockerfile: img.dockerfile,
      source: `${file}:${idx >= 0 ? idx + 1 : 1}`,
      variants: variants.map((v) => new Map([...common, ['BASE_DISTRIBUTION', v]])),
    });
  }
  const builder = env.ISTIO_DOCKER_BUILDER === 'crane' ? 'crane' : 'buildkit';
  return { listedIn: file, builds, builder, details };
}

/** What `make docker` builds, from tools/docker.yaml (1.16+) or tools/istio-docker.mk (≤1.15); undefined when the tree has neither. */
export async function readMakeDockerBuilds(root: string, env: Env): Promise<MakeDockerBuilds | undefined> {
  const yaml = await readOptional(root, 'tools/docker.yaml');
  if (yaml !== undefined) return fromDockerYaml(root, yaml, env);
  const mk = await readOptional(root, 'tools/istio-docker.mk');
  if (mk !== undefined) return fromIstioDockerMk(root, mk, env);
  return undefined;
}

export interface MakeDockerImage extends FromRef {
  /** The make target (or docker.yaml image) that builds FROM it. */
  target: string;
  /** Where that build is declared. */
  declaredAt: string;
  /** true when the builder `make docker` uses pulls it (every stage with the classic builder). */
  needed: boolean;
}

/** Every FROM of every Dockerfile `make docker` builds, with make's build args substituted. */
export async function readMakeDockerImages(root: string, env: Env): Promise<{ plan: MakeDockerBuilds; images: MakeDockerImage[]; unreadable: string[] } | undefined> {
  const plan = await readMakeDockerBuilds(root, env);
  if (!plan) return undefined;
  const images: MakeDockerImage[] = [];
  const unreadable: string[] = [];
  const texts = new Map<string, string | undefined>();
  for (const b of plan.builds) {
    if (!texts.has(b.dockerfile)) texts.set(b.dockerfile, await readOptional(root, b.dockerfile));
    const text = texts.get(b.dockerfile);
    if (text === undefined) {
      unreadable.push(`${b.dockerfile} (${b.source}) does not exist`);
      continue;
    }
    for (const args of b.variants) {
      for (const f of parseFroms(text, b.dockerfile, args)) {
        images.push({ ...f, target: b.target, declaredAt: b.source, needed: plan.builder === 'classic' || f.reachable });
      }
    }
  }
  return { plan, images, unreadable };
}
