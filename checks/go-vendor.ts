import type { IstioCheck } from '../src/istio/project.js';
import { readTextCapped } from '../src/platform/files.js';
import { hostToolchainApplies } from '../src/istio/container.js';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CheckResult, FixStep } from '../src/engine/check.js';
import type { IstioContext as Context } from '../src/istio/project.js';
import { onInterrupt } from '../src/platform/cleanup.js';
import { DevenvError } from '../src/platform/errors.js';
import { formatCommand } from '../src/platform/exec.js';
import { exists } from '../src/platform/files.js';
import { manualStep } from '../src/features/steps.js';
import { compareVendor, describeDiff, parseRequires } from '../src/istio/vendor.js';
import { goEnv, goFor } from './go-modules.js';

type Verdict = { kind: 'consistent' } | { kind: 'inconsistent'; lines: string[] } | { kind: 'unknown'; error: string };

/** What `go` says about vendor/ (`go list -mod=vendor -m` runs the same consistency check as `go build -mod=vendor`). */
async function goVerdict(ctx: Context): Promise<Verdict> {
  let go: string;
  try {
    go = await goFor(ctx);
  } catch (err) {
    return { kind: 'unknown', error: String((err as Error).message ?? err) };
  }
  const r = await ctx.exec(go, ['list', '-mod=vendor', '-m'], { cwd: ctx.root!, env: goEnv(ctx, { GOFLAGS: '', GOPROXY: 'off', GO111MODULE: 'on', GOWORK: 'off' }), timeoutMs: 60_000 });
  if (r.ok) return { kind: 'consistent' };
  const out = r.stderr || r.stdout;
  if (/inconsistent vendoring/.test(out)) {
    const lines = out
      .split('\n')
      .filter((l) => /^\t\S+: /.test(l))
      .map((l) => l.trim());
    return { kind: 'inconsistent', lines };
  }
  return { kind: 'unknown', error: out.trim().split('\n').slice(-1)[0] || `exit ${r.exitCode}` };
}

/** `.vendor.devenv-<pid>-<hex>` (today) or `.vendor.devenv-<hex>` (before pids were recorded). */
const ASIDE = /^\.vendor\.devenv-(?:(\d+)-)?[0-9a-f]+$/;

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * vendor/ copies an interrupted `fix go-vendor` left beside vendor/ (the
 * user's previous vendor/, moved aside), oldest first. A copy whose devenv is
 * still running is not a leftover.
 */
export async function vendorLeftovers(root: string): Promise<{ name: string; path: string; ctimeMs: number }[]> {
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch {
    return [];
  }
  const out: { name: string; path: string; ctimeMs: number }[] = [];
  for (const name of names) {
    const m = ASIDE.exec(name);
    if (!m || (m[1] && pidAlive(Number(m[1])))) continue;
    const st = await fs.lstat(path.join(root, name)).catch(() => undefined);
    if (st?.isDirectory()) out.push({ name, path: path.join(root, name), ctimeMs: st.ctimeMs });
  }
  return out.sort((a, b) => a.ctimeMs - b.ctimeMs || a.name.localeCompare(b.name));
}

async function vendorIsConsistent(ctx: Context): Promise<boolean> {
  const root = ctx.root!;
  if (!(await exists(path.join(root, 'vendor', 'modules.txt')))) return false;
  return (await goVerdict(ctx)).kind === 'consistent';
}

function minutes(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}

export const goVendor = {
  id: 'go-vendor',
  title: 'Go vendor directory',
  category: 'repository',
  needs: ['go-modules'],
  description:
    'Where vendor/ exists, vendor/modules.txt agrees with go.mod: go\'s own verdict (`go list -mod=vendor -m`, the check `go build -mod=vendor` makes), with the differing modules named. Where it is absent: a warning (offline builds vendor), a failure with go.vendor "required", skipped with "never".',
  fixDescription: 'Runs `GO111MODULE=on go mod vendor` (bounded by fix.commandTimeoutMs); the previous vendor/ is moved aside first and restored intact if vendoring fails or devenv is interrupted (Ctrl-C, SIGTERM). A copy left by an interrupted run (kill -9) is reported and restored, or removed when vendor/ is consistent. On 1.2/1.3, whose vendor/ is committed, it prints `git checkout -- vendor/` instead.',
  // In container builds go runs inside build-tools with its own module cache: host vendor/ checks do not gate make.
  appliesTo: async (ctx) => (!ctx.root ? 'not in an Istio checkout' : ctx.config.go.vendor === 'never' ? 'go.vendor is "never" in the devenv config' : !ctx.project?.goMod.module ? 'no go.mod' : hostToolchainApplies(ctx)),
  async run(ctx): Promise<CheckResult> {
    const root = ctx.root!;
    const modulesTxt = path.join(root, 'vendor', 'modules.txt');
    const leftovers = await vendorLeftovers(root);
    if (leftovers.length > 0) {
      const hasVendor = await exists(path.join(root, 'vendor'));
      const state = !hasVendor ? 'vendor/ is missing' : (await vendorIsConsistent(ctx)) ? 'vendor/ itself agrees with go.mod' : 'vendor/ is partial or inconsistent';
      return {
        status: 'fail',
        summary: `an interrupted \`fix go-vendor\` left the previous vendor/ in ${leftovers.map((l) => l.name).join(', ')}; ${state}`,
        found: `${leftovers.length} leftover vendor/ cop${leftovers.length === 1 ? 'y' : 'ies'}`,
        source: leftovers[0].name,
        hint: 'devenv fix go-vendor (restores it, or removes it when vendor/ is consistent)',
        details: leftovers.map((l) => l.path),
      };
    }
    const committed = ctx.project?.line.depMode.value === 'vendor-gopath';
    if (!(await exists(path.join(root, 'vendor')))) {
      // A module that requires nothing has nothing to vendor (`go mod vendor` writes no directory): nothing to warn about.
      const goModText = await readTextCapped(path.join(root, 'go.mod'));
      if (!committed && goModText !== undefined && parseRequires(goModText).length === 0) {
        return { status: 'ok', summary: 'go.mod requires no modules: nothing to vendor', found: 'no requirements', source: 'go.mod' };
      }
      const required = ctx.config.go.vendor === 'required' || committed;
      return {
        status: required ? 'fail' : 'warn',
        summary: `no vendor/ directory${committed ? ' (this line builds from the vendor/ committed in git)' : required ? ' (go.vendor is "required")' : '; offline builds need one'}`,
        found: 'absent',
        source: 'go.mod',
        hint: 'devenv fix go-vendor',
      };
    }
    let txt = '';
    try {
      txt = await ctx.fs.readFile(modulesTxt, 'utf8');
    } catch {
      return { status: 'fail', summary: 'vendor/ exists but vendor/modules.txt is missing', found: 'no modules.txt', source: 'vendor/modules.txt', hint: 'devenv fix go-vendor' };
    }
    const requires = parseRequires(await ctx.fs.readFile(path.join(root, 'go.mod'), 'utf8'));
    const lines = describeDiff(compareVendor(requires, txt));
    // go itself is the judge (replacements, go-version rules); the comparison above names the modules.
    const verdict = await goVerdict(ctx);
    const inconsistent = verdict.kind === 'unknown' ? lines.length > 0 : verdict.kind === 'inconsistent';
    const details = [...lines, ...(verdict.kind === 'inconsistent' ? verdict.lines.map((l) => `go: ${l}`) : []), ...(verdict.kind === 'unknown' ? [`go could not judge (${verdict.error}); compared go.mod with vendor/modules.txt instead`] : [])];
    if (!inconsistent) {
      return { status: 'ok', summary: `vendor/modules.txt agrees with go.mod (${requires.length} requirements)`, found: 'consistent', source: 'vendor/modules.txt', details: details.length ? details : undefined };
    }
    const n = lines.length || (verdict.kind === 'inconsistent' ? verdict.lines.length : 0);
    const first = lines[0] ?? (verdict.kind === 'inconsistent' ? verdict.lines[0] : undefined);
    return {
      status: 'fail',
      summary: `vendor/ is inconsistent with go.mod: ${n} difference${n === 1 ? '' : 's'}${first ? ` (${first})` : ''}`,
      found: 'inconsistent',
      source: 'vendor/modules.txt',
      hint: 'devenv fix go-vendor',
      details,
    };
  },
  async fix(ctx) {
    const root = ctx.root!;
    if (ctx.project?.line.depMode.value === 'vendor-gopath') {
      // 1.2/1.3 build from the vendor/ committed in git: restore it rather than re-vendor from the network.
      return {
        notes: ['This line builds from the vendor/ committed in git; devenv does not re-vendor it.'],
        steps: [manualStep(`git -C ${root} checkout -- vendor/`)],
      };
    }
    const go = await goFor(ctx);
    const vendor = path.join(root, 'vendor');
    const limit = ctx.config.fix.commandTimeoutMs;
    const steps: FixStep[] = [];
    const leftovers = await vendorLeftovers(root);
    let vendorOk = false;
    if (leftovers.length > 0) {
      const [oldest, ...rest] = leftovers;
      vendorOk = (await exists(vendor)) && (await vendorIsConsistent(ctx));
      if (vendorOk) {
        steps.push({
          kind: 'action',
          describe: `remove ${leftovers.map((l) => l.name).join(', ')} (left by an interrupted fix; vendor/ agrees with go.mod)`,
          run: async () => {
            for (const l of leftovers) await fs.rm(l.path, { recursive: true, force: true });
          },
        });
      } else {
        steps.push({
          kind: 'action',
          describe: `restore ${oldest.name} (the vendor/ an interrupted fix moved aside) as vendor/${(await exists(vendor)) ? ', removing the partial vendor/' : ''}${rest.length ? `; remove ${rest.map((l) => l.name).join(', ')}` : ''}`,
          run: async () => {
            await fs.rm(vendor, { recursive: true, force: true });
            await fs.rename(oldest.path, vendor);
            for (const l of rest) await fs.rm(l.path, { recursive: true, force: true });
          },
        });
      }
    }
    if (!vendorOk) {
      steps.push({
        kind: 'exec',
        describe: `${leftovers.length ? 'then, if vendor/ still disagrees with go.mod: ' : ''}move vendor/ aside, run GO111MODULE=on ${formatCommand(go, ['mod', 'vendor'])} in ${root} (stopped after ${minutes(limit)}, fix.commandTimeoutMs); restore the old vendor/ if it fails or devenv is interrupted`,
        command: { cmd: go, args: ['mod', 'vendor'] },
        run: async (c) => {
          if (leftovers.length > 0 && (await vendorIsConsistent(c))) return;
          const aside = path.join(root, `.vendor.devenv-${process.pid}-${randomBytes(4).toString('hex')}`);
          let moved = false;
          let restoring: Promise<void> | undefined;
          // Once: from the step's failure path or from the signal handler, whichever comes first.
          const restore = () =>
            (restoring ??= (async () => {
              if (!moved) return;
              await fs.rm(vendor, { recursive: true, force: true });
              await fs.rename(aside, vendor);
            })());
          const unregister = onInterrupt(`restoring ${vendor} (moved aside to ${path.basename(aside)})`, restore);
          try {
            if (await exists(vendor)) {
              await fs.rename(vendor, aside);
              moved = true;
            }
            const extra: Record<string, string> = { GO111MODULE: 'on' };
            if (c.config.go.proxy) extra.GOPROXY = c.config.go.proxy;
            const r = await c.exec(go, ['mod', 'vendor'], { cwd: root, env: goEnv(c, extra), timeoutMs: limit, tree: true });
            if (!r.ok) {
              await restore();
              const kept = moved ? 'the previous vendor/ was restored' : 'nothing was changed';
              if (r.timedOut) {
                throw new DevenvError(`go mod vendor did not finish within ${minutes(limit)} (fix.commandTimeoutMs) and was stopped; ${kept}`, {
                  suggestions: ['Raise fix.commandTimeoutMs in the devenv config if it is merely slow, or check go.proxy.'],
                });
              }
              throw new DevenvError(`go mod vendor ${r.aborted ? 'was stopped' : 'failed'}; ${kept}${r.aborted ? '' : `: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`}`);
            }
            // Done: from here an interruption must not put the old vendor/ back.
            unregister();
            if (moved) await fs.rm(aside, { recursive: true, force: true });
          } finally {
            unregister();
          }
        },
      });
    }
    return { steps };
  },
} satisfies IstioCheck;
