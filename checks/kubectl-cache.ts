import type { IstioCheck } from '../src/istio/project.js';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { CheckResult, FixPlan, FixStep } from '../src/engine/check.js';
import type { IstioContext as Context } from '../src/istio/project.js';
import { copyAtomic, fileError, isAbsent, isExecutableFile, makeWorkDir, moveAtomic, notAProgram, sha256File, writeAtomic } from '../src/platform/files.js';
import { DevenvError } from '../src/platform/errors.js';
import { progressLogger } from '../src/platform/download.js';
import { describeUrl } from '../src/platform/mirrors.js';
import { actionStep } from '../src/features/steps.js';
import { KUBECTL_DOCKERFILE, computeLayout, kubectlVersion, parseKubectlAdd } from '../src/istio/init.js';

/** Where the original Dockerfile is kept while devenv's edit is in place. */
export function backupPath(ctx: Context): string {
  const id = createHash('sha1').update(ctx.root!).digest('hex').slice(0, 12);
  return path.join(ctx.paths.data, 'backups', `${path.basename(ctx.root!)}-${id}`, KUBECTL_DOCKERFILE);
}

/** What devenv's edit changed, so revert knows what to restore (beside the backup). */
interface EditRecord {
  dockerfile: string;
  line: number;
  /** the line as it was */
  original: string;
  /** the line devenv wrote */
  edited: string;
  /** sha256 of the whole file right after the edit */
  editedSha256: string;
  at: string;
}

const recordPath = (backup: string) => `${backup}.devenv.json`;

async function readRecord(ctx: Context, backup: string): Promise<EditRecord | undefined> {
  try {
    return JSON.parse(await ctx.fs.readFile(recordPath(backup), 'utf8')) as EditRecord;
  } catch (err) {
    if (err instanceof SyntaxError || isAbsent(err)) return undefined;
    throw fileError('read', recordPath(backup), err);
  }
}

const sha256Text = (t: string) => createHash('sha256').update(t).digest('hex');

interface State {
  dockerfile: string;
  line: number;
  url?: string;
  version?: string;
  rewritten: boolean;
  backup: string;
  hasBackup: boolean;
  dest: string;
}

async function readState(ctx: Context): Promise<State | undefined> {
  const dockerfile = path.join(ctx.root!, KUBECTL_DOCKERFILE);
  let text: string;
  try {
    text = await ctx.fs.readFile(dockerfile, 'utf8');
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw fileError('read', dockerfile, err);
  }
  const add = parseKubectlAdd(text);
  if (!add) return undefined;
  const backup = backupPath(ctx);
  // An unreadable backup (or backups dir) is an error naming it, never "no backup".
  const hasBackup = await ctx.fs.stat(backup).then(
    () => true,
    (err: unknown) => {
      if (isAbsent(err)) return false;
      throw fileError('read', backup, err);
    },
  );
  let url = add.url;
  if (add.rewritten && hasBackup) {
    const b = await ctx.fs.readFile(backup, 'utf8').catch((err: unknown) => {
      throw fileError('read', backup, err);
    });
    url = parseKubectlAdd(b)?.url;
  }
  const dest = path.join(computeLayout(ctx).dockerBuildTop, 'docker.kubectl', 'kubectl');
  return { dockerfile, line: add.line, url, version: url ? kubectlVersion(url) : undefined, rewritten: add.rewritten, backup, hasBackup, dest };
}

export const kubectlCache = {
  id: 'kubectl-cache',
  title: 'kubectl for Dockerfile.kubectl',
  category: 'artifacts',
  description:
    'The kubectl that docker/Dockerfile.kubectl ADDs from a URL is cached at $DOCKER_BUILD_TOP/docker.kubectl/kubectl (executable, sha256 verified) and the Dockerfile ADDs that local copy, so `make docker.kubectl` needs no network.',
  fixDescription:
    'Downloads kubectl of the Dockerfile\'s version (its published .sha256 verified; mirrors.urls applied), then rewrites `ADD <url> /usr/bin/kubectl` to `ADD kubectl /usr/bin/kubectl`, keeping a backup and a record of the edit under the devenv data dir. `devenv fix --revert kubectl-cache` restores the original (only the ADD line, if the file was edited since).',
  appliesTo: async (ctx) => (!ctx.root ? 'not in an Istio checkout' : (await readState(ctx)) ? true : `no ${KUBECTL_DOCKERFILE} with an ADD of kubectl (removed in 1.6+)`),
  async run(ctx): Promise<CheckResult> {
    const s = (await readState(ctx))!;
    const source = `${KUBECTL_DOCKERFILE}:${s.line}`;
    const required = s.version ? `kubectl ${s.version}` : 'kubectl';
    const details = [`${s.url ?? '(URL unknown: the ADD line was edited by hand)'} → ${s.dest}`, ...(s.hasBackup ? [`original Dockerfile kept at ${s.backup}`] : [])];
    if (!(await isExecutableFile(s.dest))) {
      return { status: 'fail', summary: `kubectl ${s.version ?? ''} is not cached at ${s.dest}`.replace('  ', ' '), found: 'missing', required, source, hint: 'devenv fix kubectl-cache', details };
    }
    const rec = s.url ? await ctx.downloadRecord(s.url) : undefined;
    const pinned = s.url ? ctx.config.checksums[s.url] : undefined;
    const expected = pinned ?? rec?.sha256;
    const unverified = !pinned && rec?.verified === 'first-use';
    const actual = await sha256File(s.dest);
    if (expected && expected !== actual) {
      return { status: 'fail', summary: `the cached kubectl does not match its verified sha256 (${expected.slice(0, 12)}…, found ${actual.slice(0, 12)}…)`, found: 'corrupt', required, source, hint: `rm ${s.dest} && devenv fix kubectl-cache`, details };
    }
    if (!s.rewritten) {
      return { status: 'fail', summary: `kubectl is cached, but ${KUBECTL_DOCKERFILE} still ADDs it from ${s.url}`, found: 'Dockerfile not rewritten', required, source, hint: 'devenv fix kubectl-cache', details };
    }
    if (!expected) {
      return { status: 'warn', summary: `kubectl at ${s.dest} has no recorded checksum to verify against`, found: 'unverified', required, source, hint: `rm ${s.dest} && devenv fix kubectl-cache`, details };
    }
    return {
      status: 'ok',
      summary: `kubectl ${s.version ?? ''} cached and ${unverified ? 'matches its first download (unverified upstream: no .sha256 was published)' : 'verified'}; ${KUBECTL_DOCKERFILE} ADDs the local copy (it now differs from git; undo: devenv fix --revert kubectl-cache)`.replace('  ', ' '),
      found: `kubectl ${s.version ?? ''} cached`.trim(),
      required,
      source,
      details,
    };
  },
  async fix(ctx): Promise<FixPlan> {
    const s = (await readState(ctx))!;
    const steps: FixStep[] = [];
    const expected = s.url ? (ctx.config.checksums[s.url] ?? (await ctx.downloadRecord(s.url))?.sha256) : undefined;
    const good = (await isExecutableFile(s.dest)) && (!expected || expected === (await sha256File(s.dest)));
    if (!good || !expected) {
      if (!s.url) {
        // The user's tree, not a devenv bug: the Dockerfile was edited (by devenv, whose state dir is gone, or by hand).
        throw new DevenvError(`${KUBECTL_DOCKERFILE} no longer ADDs kubectl from a URL and devenv has no backup of it, so the URL to download is unknown`, {
          suggestions: [`Restore it with: git checkout -- ${KUBECTL_DOCKERFILE}`],
        });
      }
      const url = s.url;
      steps.push(
        actionStep('download', `download ${describeUrl(url, ctx.config)} (verified against ${url}.sha256) to ${s.dest}`, async (c) => {
          // The download's temp file lives outside the docker build context (docker.kubectl/ is sent to the daemon):
          // only a verified file is copied in, through a short-lived temp name swept if a run dies.
          const work = await makeWorkDir('kubectl');
          try {
            const tmp = path.join(work, 'kubectl');
            const got = await c.download({ url, dest: tmp, mode: 0o755, publishedChecksum: true, onProgress: progressLogger(c.log, 'kubectl') });
            c.log(`kubectl: ${got.fromCache ? 'from the cache' : `from ${got.urlUsed}`}, sha256 ${got.verified}`);
            // Not a program (an error page, a wrong file): never run (execvp would hand it to sh), never kept.
            const odd = await notAProgram(tmp);
            if (odd) {
              throw new DevenvError(`what ${got.urlUsed} sent for kubectl is not a program (${odd}); it was not run and not kept`, {
                suggestions: [`Check what ${url} (or its mirror) serves, e.g. with: curl -fsSL ${url} | head -c 64 | od -c`],
              });
            }
            // A first-use sha256 is recorded only once the binary ran; it runs in the throwaway work dir.
            const runs = (await c.exec(tmp, ['version', '--client'], { timeoutMs: 10_000, cwd: work })).ok;
            await moveAtomic(tmp, s.dest, 0o755);
            if (runs) await got.confirm();
          } finally {
            await c.fs.rm(work, { recursive: true, force: true });
          }
        }),
      );
    }
    if (!s.rewritten) {
      steps.push({
        files: [s.dockerfile, s.backup, `${s.backup}.devenv.json`],
        ...actionStep(
          'edit',
          `back up ${KUBECTL_DOCKERFILE} to ${s.backup}, then rewrite line ${s.line} to: ADD kubectl /usr/bin/kubectl`,
          async (c) => {
            const text = await c.fs.readFile(s.dockerfile, 'utf8');
            const lines = text.split('\n');
            const original = lines[s.line - 1];
            const edited = original.replace(/^(\s*ADD\s+)\S+(\s+\S*kubectl\s*)$/i, '$1kubectl$2');
            if (edited === original) throw new Error(`${KUBECTL_DOCKERFILE}:${s.line} changed since it was read; run the fix again`);
            lines[s.line - 1] = edited;
            const next = lines.join('\n');
            // The file as it is now is the original (it still ADDs from a URL): it replaces any older backup.
            await copyAtomic(s.dockerfile, s.backup);
            const record: EditRecord = { dockerfile: s.dockerfile, line: s.line, original, edited, editedSha256: sha256Text(next), at: new Date().toISOString() };
            await writeAtomic(recordPath(s.backup), JSON.stringify(record, null, 2) + '\n');
            await writeAtomic(s.dockerfile, next);
          },
          true,
        ),
      });
    }
    return { notes: s.rewritten ? [] : [`${KUBECTL_DOCKERFILE} is tracked by git: the edit shows in git status until you run devenv fix --revert kubectl-cache.`], steps };
  },
  async revert(ctx): Promise<FixPlan> {
    const s = await readState(ctx);
    if (!s || !s.hasBackup) return { steps: [] };
    const record = await readRecord(ctx, s.backup);
    const current = await ctx.fs.readFile(s.dockerfile, 'utf8');
    const forget = async (c: Context) => {
      await c.fs.rm(s.backup, { force: true });
      await c.fs.rm(recordPath(s.backup), { force: true });
    };
    if (!s.rewritten) {
      // Someone restored the ADD line already (git checkout): only devenv's backup is left to drop.
      return { steps: [actionStep('forget', `${KUBECTL_DOCKERFILE} already ADDs from a URL; remove devenv's backup ${s.backup}`, forget)] };
    }
    if (!record || record.editedSha256 === sha256Text(current)) {
      return {
        steps: [
          actionStep('restore', `restore ${KUBECTL_DOCKERFILE} from ${s.backup}`, async (c) => {
            await copyAtomic(s.backup, s.dockerfile);
            await forget(c);
          }),
        ],
      };
    }
    // The file was edited after devenv's change: put back only the ADD line, keep the rest.
    return {
      notes: [`${KUBECTL_DOCKERFILE} changed after devenv edited it; only line ${s.line} is restored, your other edits stay.`],
      steps: [
        actionStep('restore', `rewrite ${KUBECTL_DOCKERFILE}:${s.line} back to: ${record.original.trim()}`, async (c) => {
          const lines = (await c.fs.readFile(s.dockerfile, 'utf8')).split('\n');
          lines[s.line - 1] = record.original;
          await writeAtomic(s.dockerfile, lines.join('\n'));
          await forget(c);
        }),
      ],
    };
  },
} satisfies IstioCheck;
