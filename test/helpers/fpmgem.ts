/** A small gem named fpm (its `fpm` prints 1.11.0-devenv-test), written and built with the real `gem` in `dir`. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';

const GEMSPEC =
  "Gem::Specification.new do |s|\n s.name = 'fpm'\n s.version = '1.11.0'\n s.summary = 'test double of fpm'\n s.authors = ['devenv']\n s.license = 'MIT'\n s.files = ['bin/fpm']\n s.bindir = 'bin'\n s.executables = ['fpm']\nend\n";

/** Builds it under `dir` with `home` as HOME; returns the path of fpm-1.11.0.gem. */
export async function buildFpmGem(dir: string, home: string | undefined): Promise<string> {
  await fs.mkdir(path.join(dir, 'bin'), { recursive: true });
  await fs.writeFile(path.join(dir, 'bin', 'fpm'), "#!/usr/bin/env ruby\nputs '1.11.0-devenv-test'\n", { mode: 0o755 });
  await fs.writeFile(path.join(dir, 'fpm.gemspec'), GEMSPEC);
  execFileSync('gem', ['build', 'fpm.gemspec'], { cwd: dir, env: { ...process.env, HOME: home }, stdio: 'ignore' });
  return path.join(dir, 'fpm-1.11.0.gem');
}
