import type { IstioCheck } from '../src/istio/project.js';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { CheckResult } from '../src/engine/check.js';
import type { IstioContext as Context } from '../src/istio/project.js';
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

export const goVendor = {
  id: 'go-vendor',
  title: 'Go vendor directory',
  category: 'repository',
  needs: ['go-modules'],
  description:
    'Where vendor/ exists, vendor/modules.txt agrees with go.mod: go\'s own verdict (`go list -mod=vendor -m`, the check `go build -mod=vendor` makes), with the differing modules named. Where it is absent: a warning (offline builds vendor), a failure with go.vendor "required", skipped with "never".',
  fixDescription: 'Runs `GO111MODULE=on go mod vendor`; the previous vendor/ is moved aside first and restored intact if vendoring fails. On 1.2/1.3, whose vendor/ is committed, it prints `git checkout -- vendor/` instead.',
  appliesTo: (ctx) => (!ctx.root ? 'not in an Istio checkout' : ctx.config.go.vendor === 'never' ? 'go.vendor is "never" in the devenv config' : ctx.project?.goMod.module ? true : 'no go.mod'),
  async run(ctx): Promise<CheckResult> {
    const root = ctx.root!;
    const modulesTxt = path.join(root, 'vendor', 'modules.txt');
    const committed = ctx.project?.line.depMode.value === 'vendor-gopath';
    if (!(await exists(path.join(root, 'vendor')))) {
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
    return {
      steps: [
        {
          kind: 'exec',
          describe: `move vendor/ aside, run GO111MODULE=on ${formatCommand(go, ['mod', 'vendor'])} in ${root}; restore the old vendor/ if it fails`,
          command: { cmd: go, args: ['mod', 'vendor'] },
          run: async (c) => {
            const vendor = path.join(root, 'vendor');
            const aside = path.join(root, `.vendor.devenv-${randomBytes(4).toString('hex')}`);
            const had = await exists(vendor);
            if (had) await c.fs.rename(vendor, aside);
            const extra: Record<string, string> = { GO111MODULE: 'on' };
            if (c.config.go.proxy) extra.GOPROXY = c.config.go.proxy;
            const r = await c.exec(go, ['mod', 'vendor'], { cwd: root, env: goEnv(c, extra), timeoutMs: 30 * 60_000 });
            if (!r.ok) {
              await c.fs.rm(vendor, { recursive: true, force: true });
              if (had) await c.fs.rename(aside, vendor);
              throw new DevenvError(`go mod vendor failed; ${had ? 'the previous vendor/ was restored' : 'nothing was changed'}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
            }
            if (had) await c.fs.rm(aside, { recursive: true, force: true });
          },
        },
      ],
    };
  },
} satisfies IstioCheck;
