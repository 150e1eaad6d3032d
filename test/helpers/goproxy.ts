/** A GOPROXY directory built in a test: module@version as list, .info, .mod and .zip files. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';

export async function publishModule(proxy: string, mod: string, version: string, files: Record<string, string>): Promise<void> {
  const dir = path.join(proxy, mod, '@v');
  await fs.mkdir(dir, { recursive: true });
  const listFile = path.join(dir, 'list');
  const list = await fs.readFile(listFile, 'utf8').catch(() => '');
  await fs.writeFile(listFile, list + version + '\n');
  await fs.writeFile(path.join(dir, `${version}.info`), JSON.stringify({ Version: version, Time: '2020-01-01T00:00:00Z' }));
  await fs.writeFile(path.join(dir, `${version}.mod`), files['go.mod']);
  const src = path.join(proxy, '.src', `${mod}@${version}`);
  for (const [rel, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(src, rel)), { recursive: true });
    await fs.writeFile(path.join(src, rel), text);
  }
  const py = 'import sys,zipfile,os\nz=zipfile.ZipFile(sys.argv[1],"w")\nbase=sys.argv[2];pre=sys.argv[3]\nfor r,_,fs in os.walk(base):\n  for f in fs:\n    p=os.path.join(r,f);z.write(p,pre+"/"+os.path.relpath(p,base))\nz.close()\n';
  execFileSync('python3', ['-c', py, path.join(dir, `${version}.zip`), src, `${mod}@${version}`]);
}

/** Writes go.sum for `root` (go mod tidy), downloading its requirements from `proxy` into a throwaway cache. */
export function writeGoSum(root: string, proxy: string, scratch: string, home: string): void {
  execFileSync('go', ['mod', 'tidy'], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: home, GOPATH: scratch, GOMODCACHE: path.join(scratch, 'mod'), GOCACHE: path.join(scratch, 'cache'), GOPROXY: `file://${proxy}`, GOSUMDB: 'off', GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' },
    stdio: 'ignore',
  });
  execFileSync('chmod', ['-R', 'u+w', scratch]);
}
