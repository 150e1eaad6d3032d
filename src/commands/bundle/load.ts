import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { createContext } from '../../engine/context.js';
import { askConfirm } from '../../engine/reporters/prompts.js';
import { istioProject } from '../../istio/project.js';
import { loadBundle } from '../../features/bundle/load.js';
import { redact } from '../../platform/redact.js';

export default class BundleLoad extends BaseCommand {
  static override summary = 'Put a bundle in place on a machine with no network: download cache, Go module proxy, images, go.proxy.';
  static override description = `Verifies every item's sha256 against the manifest before anything is used; a truncated or altered bundle, an unknown manifest version, an unsafe path or a link is refused and nothing is loaded. Then it seeds devenv's download cache (so devenv fix finds every artifact and the Go toolchain without network), installs the Go module tree at $XDG_DATA_HOME/devenv/goproxy and sets go.proxy to it in your user config (backup kept; shown by devenv shellenv), and loads and tags the images — a tag that names a different image is moved only if you say so. It installs nothing else: run devenv fix --all --yes next.

A bundle made for another commit or release line is refused, naming what differs, unless --force.`;
  static override examples = ['<%= config.bin %> bundle load istio-1.24.tar.gz --dir ~/istio', '<%= config.bin %> bundle load istio-1.24.tar.gz --force'];
  static override args = { file: Args.string({ description: 'The bundle file.', required: true }) };
  static override flags = {
    dir: Flags.directory({ char: 'C', summary: 'The Istio checkout the bundle is for (default: the current directory).', helpValue: 'CHECKOUT' }),
    force: Flags.boolean({ summary: 'Load a bundle made for another commit or release line.' }),
    config: Flags.file({ summary: 'Config file applied last (also DEVENV_CONFIG).', helpValue: 'FILE' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(BundleLoad);
    const say = (l: string) => process.stderr.write(redact(l, process.env) + '\n');
    const ctx = await createContext({ project: istioProject, dir: flags.dir, configPath: flags.config, log: say });
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && process.env.CI !== 'true';
    const r = await loadBundle(ctx, { file: args.file, force: flags.force, confirmRetag: interactive ? askConfirm : undefined });
    const out: string[] = [];
    if (r.differences.length) out.push(`Loaded with --force although it differs: ${r.differences.join('; ')}`);
    out.push(`Verified ${r.manifest.items.length} items.`);
    if (r.seeded.length) out.push(`Download cache: ${r.seeded.length} files (artifacts, Go toolchain) ready for devenv fix.`);
    if (r.goproxy) out.push(`Go modules: ${r.goproxy.files} files at ${r.goproxy.dir}; go.proxy=${r.goproxy.url} in ${r.goproxy.config.file}${r.goproxy.config.backup ? ` (previous: ${r.goproxy.config.backup})` : ''}; eval "$(devenv shellenv)" exports it as GOPROXY.`);
    for (const i of r.images) out.push(`Image ${i.ref}: ${i.action === 'kept-yours' ? `kept your tag (it names ${i.previous!.slice(7, 19)})` : i.action.replace('-', ' ')} → ${i.id.slice(7, 19)}`);
    for (const p of r.problems) out.push(`! ${p}`);
    out.push(`Next: devenv fix --all --yes${flags.dir ? ` --dir ${flags.dir}` : ''}`);
    process.stdout.write(out.join('\n') + '\n');
    process.exitCode = r.problems.length ? 1 : 0;
  }
}
