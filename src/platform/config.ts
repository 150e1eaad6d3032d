/**
 * Configuration: discovered in layers (user, repo, explicit), validated with
 * zod so that an unknown key or a wrong type names the file and the key.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { z as Z } from 'zod';
import { closest } from './closest.js';
import { ConfigError, DevenvError } from './errors.js';
import { readTextCapped } from './files.js';

/** Config files larger than this are refused (they are a few hundred bytes). */
const CONFIG_MAX_BYTES = 1024 * 1024;

/** Built on first use so that zod is loaded only when a config file exists. */
function buildSchema(z: typeof Z) {
  const urlPrefix = z.string().min(1);
  const sha256 = z.string().regex(/^[a-f0-9]{64}$/, 'expected a sha256 as 64 lowercase hex characters');
  const port = z.number().int().min(0).max(65535);
  return z
  .object({
    mirrors: z
      .object({
        /** upstream URL prefix → mirror URL prefix (like git's url.<base>.insteadOf) */
        urls: z.record(urlPrefix, urlPrefix),
        /** upstream image prefix → mirror image prefix */
        images: z.record(z.string().min(1), z.string().min(1)),
      })
      .partial()
      .strict(),
    prefer: z.enum(['upstream', 'mirror', 'mirror-only']),
    network: z
      .object({
        /** proxy for every request (https and http unless httpProxy is set); overrides HTTPS_PROXY/HTTP_PROXY */
        proxy: z.string().min(1),
        httpProxy: z.string().min(1),
        /** hosts that go direct, as NO_PROXY (list or comma-separated string) */
        noProxy: z.union([z.array(z.string()), z.string()]),
        /** like --offline: contact no host at all */
        offline: z.boolean(),
        /** per-host timeout of `doctor --profile network` */
        reachTimeoutMs: z.number().int().positive(),
        /** the upstream URLs `doctor --profile network` probes (replaces the built-in list) */
        upstreams: z.array(z.string().url()),
      })
      .partial()
      .strict(),
    checks: z
      .object({
        disable: z.array(z.string()),
        timeoutMs: z.number().int().positive(),
      })
      .partial()
      .strict(),
    profiles: z.array(z.enum(['build', 'cluster', 'pilot-local', 'network', 'all'])),
    go: z
      .object({
        version: z.string().regex(/^\d+\.\d+(\.\d+)?$/, 'expected a Go version such as 1.13 or 1.13.15'),
        downloadBase: z.string().url(),
        proxy: z.string().min(1),
        vendor: z.enum(['auto', 'required', 'never']),
      })
      .partial()
      .strict(),
    gem: z.object({ source: z.string().min(1) }).partial().strict(),
    checksums: z.record(z.string().min(1), sha256),
    images: z
      .object({
        digests: z.record(z.string().min(1), z.string().regex(/^sha256:[a-f0-9]{64}$/, 'expected sha256:<64 hex>')),
        upstreamTimeoutMs: z.number().int().positive(),
        pullTimeoutMs: z.number().int().positive(),
      })
      .partial()
      .strict(),
    download: z
      .object({
        upstreamTimeoutMs: z.number().int().positive(),
        timeoutMs: z.number().int().positive(),
        retries: z.number().int().min(0).max(10),
        /** largest artifact devenv downloads, in bytes */
        maxBytes: z.number().int().positive(),
      })
      .partial()
      .strict(),
    // Limits of fix steps (issue 12 item 16): every wait of a fix is bounded and named.
    fix: z
      .object({
        /** one check's whole fix plan */
        timeoutMs: z.number().int().positive(),
        /** one long subprocess of a fix step (go mod download, go mod vendor) */
        commandTimeoutMs: z.number().int().positive(),
      })
      .partial()
      .strict(),
    docker: z
      .object({
        /** argv of a command that starts the daemon, e.g. ["systemctl","start","docker"] */
        startCommand: z.array(z.string()).min(1),
        startTimeoutMs: z.number().int().positive(),
      })
      .partial()
      .strict(),
    pilot: z
      .object({
        meshConfig: z.string(),
        networksConfig: z.string(),
        configDir: z.string(),
        registries: z.array(z.string()),
        certDir: z.string(),
        ports: z
          .object({ grpc: port, secureGrpc: port, monitoring: port, http: port, ctrlz: port })
          .partial()
          .strict(),
      })
      .partial()
      .strict(),
  })
  .partial()
  .strict();
}

export type ConfigFile = Z.infer<ReturnType<typeof buildSchema>>;

export interface Config {
  mirrors: { urls: Record<string, string>; images: Record<string, string> };
  prefer: 'upstream' | 'mirror' | 'mirror-only';
  network: { proxy?: string; httpProxy?: string; noProxy?: string[] | string; offline: boolean; reachTimeoutMs: number; upstreams?: string[] };
  checks: { disable: string[]; timeoutMs: number };
  profiles: string[];
  go: NonNullable<ConfigFile['go']>;
  gem: NonNullable<ConfigFile['gem']>;
  checksums: Record<string, string>;
  images: { digests: Record<string, string>; upstreamTimeoutMs: number; pullTimeoutMs: number };
  download: { upstreamTimeoutMs: number; timeoutMs: number; retries: number; maxBytes: number };
  fix: { timeoutMs: number; commandTimeoutMs: number };
  docker: NonNullable<ConfigFile['docker']>;
  pilot: NonNullable<ConfigFile['pilot']>;
  /** Files that were read, in the order applied. */
  files: string[];
}

export const DEFAULT_IMAGE_MIRRORS: Readonly<Record<string, string>> = { 'gcr.io/distroless/': 'cistio/distroless-' };

export function defaultConfig(): Config {
  return {
    mirrors: { urls: {}, images: { ...DEFAULT_IMAGE_MIRRORS } },
    prefer: 'upstream',
    network: { offline: false, reachTimeoutMs: 3_000 },
    checks: { disable: [], timeoutMs: 10_000 },
    profiles: ['build'],
    go: {},
    gem: {},
    checksums: {},
    images: { digests: {}, upstreamTimeoutMs: 15_000, pullTimeoutMs: 120_000 },
    download: { upstreamTimeoutMs: 5_000, timeoutMs: 30_000, retries: 3, maxBytes: 4 * 1024 ** 3 },
    fix: { timeoutMs: 30 * 60_000, commandTimeoutMs: 20 * 60_000 },
    docker: {},
    pilot: {},
    files: [],
  };
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, Math.max(0, offset)).split('\n').length;
}

async function parseText(file: string, text: string): Promise<unknown> {
  if (text.trim() === '') return {};
  if (/\.ya?ml$/i.test(file)) {
    const { default: YAML } = await import('yaml');
    const doc = YAML.parseDocument(text, { prettyErrors: true });
    if (doc.errors.length > 0) {
      const e = doc.errors[0];
      const line = e.linePos?.[0]?.line;
      throw new ConfigError(line ? `${file}:${line}` : file, `invalid YAML: ${e.message.replace(/ at line \d+, column \d+:?/, "").split('\n')[0]}`);
    }
    try {
      return doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      // e.g. an alias bomb: "Excessive alias count indicates a resource exhaustion attack"
      throw new ConfigError(file, `invalid YAML: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const m = /position (\d+)/.exec(msg);
    const where = m ? `${file}:${lineOf(text, Number(m[1]))}` : file;
    throw new ConfigError(where, `invalid JSON: ${msg}`);
  }
}

/** How many problems of one config file an error lists. */
const MAX_PROBLEMS = 5;

/** The keys the schema knows for the object at `path` (through records and optional/default wrappers). */
function keysAt(schema: Z.ZodTypeAny, path: readonly (string | number)[]): string[] {
  const unwrap = (t: Z.ZodTypeAny): Z.ZodTypeAny => {
    const def = t._def as { innerType?: Z.ZodTypeAny; schema?: Z.ZodTypeAny };
    return def.innerType ? unwrap(def.innerType) : def.schema ? unwrap(def.schema) : t;
  };
  let t = unwrap(schema);
  for (const seg of path) {
    const def = t._def as { typeName?: string; valueType?: Z.ZodTypeAny };
    const next = def.typeName === 'ZodObject' ? (t as Z.AnyZodObject).shape[String(seg)] : undefined;
    if (next) t = unwrap(next);
    else if (def.typeName === 'ZodRecord' && def.valueType) t = unwrap(def.valueType);
    else return [];
  }
  return (t._def as { typeName?: string }).typeName === 'ZodObject' ? Object.keys((t as Z.AnyZodObject).shape) : [];
}

/** Validates one file's content; errors name the file and the dotted key (every problem, up to MAX_PROBLEMS). */
export async function validateConfig(file: string, data: unknown): Promise<ConfigFile> {
  const { z } = await import('zod');
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(file, 'the top level must be an object');
  }
  const schema = buildSchema(z);
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    // Every problem at once (up to a few), each with its dotted key; an unknown key with the known one it is closest to.
    const problems: { key: string; message: string }[] = [];
    for (const issue of parsed.error.issues) {
      const at = issue.path.join('.');
      if (issue.code === 'unrecognized_keys') {
        const known = keysAt(schema, issue.path);
        for (const k of issue.keys) {
          const near = k.length >= 3 ? closest(k, known, 1)[0] : undefined; // a key of one or two letters is no typo of another
          problems.push({ key: at ? `${at}.${k}` : k, message: `unknown key${near ? ` (did you mean ${at ? `${at}.${near}` : near}?)` : ''}` });
        }
      } else problems.push({ key: at, message: issue.message });
    }
    const shown = problems.slice(0, MAX_PROBLEMS);
    const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : '';
    const [first, ...rest] = shown;
    const message = [first.message, ...rest.map((p) => (p.key ? `${p.key}: ${p.message}` : p.message))].join('; ') + more;
    throw new ConfigError(file, message, first.key || undefined);
  }
  return parsed.data;
}

export async function loadConfigFile(file: string): Promise<ConfigFile> {
  let text: string | undefined;
  try {
    // A repo's .devenvrc.* is read from the tree: capped like every other file devenv reads there.
    text = await readTextCapped(file, CONFIG_MAX_BYTES);
  } catch (err) {
    throw new ConfigError(file, err instanceof DevenvError ? err.message.replace(`${file} is`, 'the file is').replace(`cannot read ${file}: `, 'cannot read: ') : String(err));
  }
  if (text === undefined) throw new ConfigError(file, 'file not found');
  return validateConfig(file, await parseText(file, text));
}

function merge(base: Config, layer: ConfigFile, file: string): Config {
  const out: Config = structuredClone(base);
  if (layer.mirrors?.urls) out.mirrors.urls = { ...out.mirrors.urls, ...layer.mirrors.urls };
  if (layer.mirrors?.images) out.mirrors.images = { ...out.mirrors.images, ...layer.mirrors.images };
  if (layer.prefer) out.prefer = layer.prefer;
  if (layer.network) out.network = { ...out.network, ...layer.network };
  if (layer.checks?.disable) out.checks.disable = layer.checks.disable;
  if (layer.checks?.timeoutMs) out.checks.timeoutMs = layer.checks.timeoutMs;
  if (layer.profiles) out.profiles = layer.profiles;
  if (layer.go) out.go = { ...out.go, ...layer.go };
  if (layer.gem) out.gem = { ...out.gem, ...layer.gem };
  if (layer.checksums) out.checksums = { ...out.checksums, ...layer.checksums };
  if (layer.images?.digests) out.images.digests = { ...out.images.digests, ...layer.images.digests };
  if (layer.images?.upstreamTimeoutMs) out.images.upstreamTimeoutMs = layer.images.upstreamTimeoutMs;
  if (layer.images?.pullTimeoutMs) out.images.pullTimeoutMs = layer.images.pullTimeoutMs;
  if (layer.download) out.download = { ...out.download, ...layer.download };
  if (layer.fix) out.fix = { ...out.fix, ...layer.fix };
  if (layer.docker) out.docker = { ...out.docker, ...layer.docker };
  if (layer.pilot) out.pilot = { ...out.pilot, ...layer.pilot, ports: { ...out.pilot.ports, ...layer.pilot.ports } };
  out.files.push(file);
  return out;
}

/**
 * The first of `searchPlaces` that exists in `dir`. Only existence is tested
 * here: a file that exists but cannot be read is returned, so that loading it
 * fails with an error naming it (exit 2) instead of being taken for absent.
 */
async function discover(dir: string, searchPlaces: string[]): Promise<string | undefined> {
  for (const place of searchPlaces) {
    const file = path.join(dir, place);
    try {
      await fs.lstat(file);
      return file;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new ConfigError(file, `cannot read: ${code ?? String(err)}`);
    }
  }
  return undefined;
}

export const USER_CONFIG_FILES = ['config.json', 'config.yaml', 'config.yml'];
export const REPO_CONFIG_FILES = ['.devenvrc.json', '.devenvrc.yaml', '.devenvrc.yml', 'devenv.config.json'];

/**
 * Layers, later overriding earlier: the user's file under $XDG_CONFIG_HOME,
 * the repo's file at its root, then DEVENV_CONFIG or --config.
 */
export async function loadConfig(opts: {
  userConfigDir: string;
  root: string | null;
  explicit?: string;
}): Promise<Config> {
  let config = defaultConfig();
  const files: string[] = [];
  const user = await discover(opts.userConfigDir, USER_CONFIG_FILES);
  if (user) files.push(user);
  if (opts.root) {
    const repo = await discover(opts.root, REPO_CONFIG_FILES);
    if (repo) files.push(repo);
  }
  if (opts.explicit) files.push(path.resolve(opts.explicit));
  for (const file of files) config = merge(config, await loadConfigFile(file), file);
  return config;
}
