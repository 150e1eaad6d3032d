/** A throwaway CA and a server certificate for 127.0.0.1, made with the real openssl in a temp dir. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { exec } from '../../src/platform/exec.js';

export interface TestPki {
  caCert: string;
  serverCert: string;
  serverKey: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const r = await exec('openssl', args, { cwd, timeoutMs: 60_000 });
  if (!r.ok) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr || r.notFound ? 'openssl not found' : ''}`);
}

export async function makePki(dir: string): Promise<TestPki> {
  await fs.mkdir(dir, { recursive: true });
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=devenv-test-ca', '-days', '1'], dir);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  await fs.writeFile(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:mirror.devenv.test\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'ext.cnf'], dir);
  const read = (f: string) => fs.readFile(path.join(dir, f), 'utf8');
  return { caCert: await read('ca.crt'), serverCert: await read('server.crt'), serverKey: await read('server.key') };
}
