import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { completionScript, completionSpec, SHELLS, type LoadableLike } from '../../src/cli/completion.js';

const commands: LoadableLike[] = [
  { id: 'doctor', summary: "Check it; say what's missing.", flags: { profile: { type: 'option', options: ['build', 'all'] }, quiet: { type: 'boolean', char: 'q' }, secret: { type: 'boolean', hidden: true } }, args: {} },
  { id: 'bundle:create', description: 'Write a bundle.\nMore text.', flags: { output: { type: 'option', char: 'o' } }, args: {} },
  { id: 'autocomplete', flags: {}, args: { shell: { options: ['bash', 'zsh', 'fish'] } } },
  { id: 'autocomplete:script', hidden: true, flags: {}, args: {} },
];

describe('completion scripts', () => {
  it('the spec holds visible commands and flags only, first lines of summaries, argument choices', () => {
    const spec = completionSpec(commands);
    assert.deepEqual(spec.map((c) => c.id), ['autocomplete', 'bundle:create', 'doctor']);
    const doctor = spec.find((c) => c.id === 'doctor')!;
    assert.deepEqual(doctor.flags.map((f) => f.name), ['profile', 'quiet']);
    assert.deepEqual(doctor.flags[0], { name: 'profile', char: undefined, summary: '', value: true, options: ['build', 'all'] });
    assert.equal(spec.find((c) => c.id === 'bundle:create')!.summary, 'Write a bundle.');
    assert.deepEqual(spec[0].argOptions, ['bash', 'zsh', 'fish']);
  });

  it('every shell gets a script its own parser accepts, with a quote in a summary', () => {
    const spec = completionSpec(commands);
    const check: Record<string, string[]> = { bash: ['bash', '--norc', '--noprofile', '-n'], zsh: ['zsh', '-f', '-n'], fish: ['fish', '--no-config', '--no-execute'] };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devenv-completion-'));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    for (const shell of SHELLS) {
      const script = completionScript(shell, 'devenv', spec);
      assert.match(script, /doctor/);
      const file = path.join(dir, `devenv.${shell}`);
      fs.writeFileSync(file, script);
      try {
        execFileSync(check[shell][0], [...check[shell].slice(1), file], { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' && process.env.CI !== 'true') continue; // the e2e test requires the shells under CI
        throw new Error(`${shell} rejects the script: ${(err as { stderr?: Buffer }).stderr}`);
      }
    }
  });

  it('a name that would need quoting in a script is refused, not written', () => {
    const bad = completionSpec([{ id: 'do$(rm)', flags: {}, args: {} }]);
    assert.throws(() => completionScript('bash', 'devenv', bad), /cannot complete "do\$\(rm\)"/);
    assert.throws(() => completionScript('fish', 'dev env', []), /cannot complete "dev env"/);
  });
});
