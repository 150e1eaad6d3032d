import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Check, CheckResult } from '../src/core/check.js';
import { DevenvError } from '../src/core/errors.js';
import { formatCommand } from '../src/core/exec.js';
import { exists } from '../src/core/files.js';
import { compareVendor, describeDiff, parseRequires } from '../src/istio/vendor.js';
import { goEnv, goFor } from './go-modules.js';

export const goVendor = {
  id: 'go-vendor',
  title: 'Go vendor directory',
  category: 'repository',
  needs: ['go-modules'],
  description:
    'Where vendor/ exists, vendor/modules.txt agrees with go.mod (what `go build -mod=vendor` checks). Where it is absent: a warning (offline builds vendor), a failure with go.vendor "required", skipped with "never".',
  fixDescription: 'Runs `GO111MODULE=on go mod vendor`; the previous vendor/ is moved aside first and restored intact if vendoring fails.',
  appliesTo: (ctx) => (!ctx.root ? 'not in an Istio checkout' : ctx.config.go.vendor === 'never' ? 'go.vendor is "never" in the devenv config' : ctx.istio?.goMod.module ? true : 'no go.mod'),
  async run(ctx): Promise<CheckResult> {
    const root = ctx.root!;
    const modulesTxt = path.join(root, 'vendor', 'modules.txt');
    if (!(await exists(path.join(root, 'vendor')))) {
      const required = ctx.config.go.vendor === 'required';
      return {
        status: required ? 'fail' : 'warn',
        summary: `no vendor/ directory${required ? ' (go.vendor is "required")' : '; offline builds need one'}`,
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
    if (lines.length === 0) return { status: 'ok', summary: `vendor/modules.txt agrees with go.mod (${requires.length} requirements)`, found: 'consistent', source: 'vendor/modules.txt' };
    return {
      status: 'fail',
      summary: `vendor/ is inconsistent with go.mod: ${lines.length} difference${lines.length === 1 ? '' : 's'} (${lines[0]})`,
      found: 'inconsistent',
      source: 'vendor/modules.txt',
      hint: 'devenv fix go-vendor',
      details: lines,
    };
  },
  async fix(ctx) {
    const go = await goFor(ctx);
    const root = ctx.root!;
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
} satisfies Check;
