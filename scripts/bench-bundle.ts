/**
 * npm run bench:bundle: peak memory of `devenv bundle create` / `inspect` /
 * `load` with one 1 GiB item. The item is served by a loopback HTTP server in
 * this process (streamed from disk); each devenv run is a child process
 * measured by /usr/bin/time -v (maximum resident set size). Not a test:
 * BENCHMARKS.md records the figures.
 *
 *   npm run build && npm run bench:bundle [-- --gib N]
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROXY_SHA, bundleCheckout } from '../test/helpers/bundlefixture.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const gib = Number(args[args.indexOf('--gib') + 1]) || 1;

function run(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string; stdout: string; seconds: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/time', ['-v', process.execPath, path.join(repo, 'bin/run.js'), ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr, seconds: (Date.now() - t0) / 1000 }));
  });
}

const maxRss = (timeOutput: string) => Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(timeOutput)?.[1] ?? NaN) / 1024;

async function main(): Promise<void> {
  const dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'devenv-bench-bundle-')));
  try {
    // The big item: N GiB of incompressible-ish bytes (a random MiB repeated).
    const big = path.join(dir, 'envoy-alpha.tar.gz');
    const mib = Buffer.alloc(1 << 20);
    for (let i = 0; i < mib.length; i++) mib[i] = (i * 2654435761) >>> 24;
    const fh = await fs.open(big, 'w');
    for (let i = 0; i < gib * 1024; i++) await fh.write(mib);
    await fh.close();
    const server = http.createServer((req, res) => {
      const p = new URL(req.url ?? '/', 'http://x').pathname;
      if (p === `/istio-build/proxy/envoy-alpha-${PROXY_SHA}.tar.gz`) {
        fs.stat(big).then((st) => {
          res.writeHead(200, { 'content-length': st.size, 'content-type': 'application/octet-stream' });
          createReadStream(big).pipe(res);
        });
      } else if (p === '/kubernetes-helm/helm-v2.10.0-linux-amd64.tar.gz' || p === `/istio-build/proxy/envoy-debug-${PROXY_SHA}.tar.gz` || p.endsWith('/kubectl')) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end('small');
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const home = path.join(dir, 'home');
    const env = (name: string): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH,
      HOME: home,
      XDG_CONFIG_HOME: path.join(dir, name, 'config'),
      XDG_DATA_HOME: path.join(dir, name, 'data'),
      XDG_CACHE_HOME: path.join(dir, name, 'cache'),
      DEVENV_CONFIG: cfg,
      GOPATH: path.join(dir, 'gopath'),
      NO_COLOR: '1',
    });
    const cfg = path.join(dir, 'devenv.json');
    await fs.writeFile(cfg, JSON.stringify({ prefer: 'mirror', mirrors: { urls: { 'https://storage.googleapis.com/': `${url}/` } } }));
    const root = await bundleCheckout(path.join(dir, 'gopath'), { goLine: '1.19', home });
    const out = path.join(dir, 'big.tar');
    const rows: [string, number, number][] = [];
    const measure = async (label: string, argv: string[], e: NodeJS.ProcessEnv) => {
      const r = await run(argv, e);
      if (r.code !== 0) throw new Error(`${label} failed: ${r.stdout}\n${r.stderr}`);
      rows.push([label, maxRss(r.stderr), r.seconds]);
    };
    await measure(`bundle create (${gib} GiB item downloaded)`, ['bundle', 'create', '--dir', root, '-o', out, '--include', 'artifacts'], env('a'));
    await measure(`bundle create again (${gib} GiB item from the cache)`, ['bundle', 'create', '--dir', root, '-o', out, '--include', 'artifacts'], env('a'));
    await measure(`bundle create --gzip (from the cache)`, ['bundle', 'create', '--dir', root, '-o', `${out}.gz`, '--include', 'artifacts'], env('a'));
    await measure('bundle inspect', ['bundle', 'inspect', out], env('b'));
    await measure('bundle load', ['bundle', 'load', out, '--dir', root], env('b'));
    server.close();
    console.log(`| run | peak RSS | wall time |\n|---|---|---|`);
    for (const [label, rss, secs] of rows) console.log(`| \`${label}\` | ${rss.toFixed(0)} MiB | ${secs.toFixed(1)} s |`);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

await main();
