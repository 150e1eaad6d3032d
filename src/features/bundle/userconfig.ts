/**
 * Setting one key in the user's devenv config ($XDG_CONFIG_HOME/devenv/):
 * the file devenv reads (config.json, else config.yaml/.yml), every other key
 * and (YAML) comment kept, validated before writing, the previous file kept
 * as <file>.devenv-backup, written via a temp file and a rename.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { USER_CONFIG_FILES, validateConfig } from '../../platform/config.js';
import { ConfigError } from '../../platform/errors.js';
import { copyAtomic, exists, writeAtomic } from '../../platform/files.js';

export interface ConfigWrite {
  file: string;
  /** the value before, when there was one */
  previous?: string;
  /** where the previous file was kept; undefined when the file is new or nothing changed */
  backup?: string;
  changed: boolean;
}

export async function setUserGoProxy(configDir: string, proxy: string): Promise<ConfigWrite> {
  let file: string | undefined;
  for (const name of USER_CONFIG_FILES) {
    if (await exists(path.join(configDir, name))) {
      file = path.join(configDir, name);
      break;
    }
  }
  if (!file) {
    file = path.join(configDir, 'config.json');
    await fs.mkdir(configDir, { recursive: true });
    const data = { go: { proxy } };
    await validateConfig(file, data);
    await writeAtomic(file, JSON.stringify(data, null, 2) + '\n');
    return { file, changed: true };
  }
  const text = await fs.readFile(file, 'utf8');
  let next: string;
  let previous: string | undefined;
  if (/\.ya?ml$/.test(file)) {
    const { default: YAML } = await import('yaml');
    const doc = YAML.parseDocument(text);
    if (doc.errors.length > 0) throw new ConfigError(file, `invalid YAML (${doc.errors[0].message.split('\n')[0]}); go.proxy was not set`);
    const cur = doc.getIn(['go', 'proxy']);
    previous = typeof cur === 'string' ? cur : undefined;
    if (previous === proxy) return { file, previous, changed: false };
    if (doc.contents === null) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
    doc.setIn(['go', 'proxy'], proxy);
    await validateConfig(file, doc.toJS());
    next = doc.toString();
  } else {
    let data: Record<string, unknown>;
    try {
      data = text.trim() === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch (err) {
      throw new ConfigError(file, `invalid JSON (${(err as Error).message}); go.proxy was not set`);
    }
    if (!data || typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(file, 'the top level must be an object; go.proxy was not set');
    const go = (data.go ?? {}) as Record<string, unknown>;
    previous = typeof go.proxy === 'string' ? go.proxy : undefined;
    if (previous === proxy) return { file, previous, changed: false };
    data.go = { ...go, proxy };
    await validateConfig(file, data);
    next = JSON.stringify(data, null, 2) + '\n';
  }
  const backup = `${file}.devenv-backup`;
  await copyAtomic(file, backup);
  await writeAtomic(file, next);
  return { file, previous, backup, changed: true };
}
