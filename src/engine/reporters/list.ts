import { Chalk } from 'chalk';
import { CATEGORIES, type Check } from '../check.js';
import type { Output } from './types.js';

export function listChecks(out: Output, checks: readonly Check[], opts: { json?: boolean }): void {
  if (opts.json) {
    out.stdout(
      JSON.stringify(
        checks.map((ch) => ({
          id: ch.id,
          title: ch.title,
          category: ch.category,
          profiles: ch.profiles ?? ['build'],
          needs: ch.needs ?? [],
          verifies: ch.description,
          fix: ch.fixDescription ?? null,
          revertible: Boolean(ch.revert),
        })),
        null,
        2,
      ) + '\n',
    );
    return;
  }
  const c = new Chalk({ level: out.color ? 1 : 0 });
  const lines: string[] = [];
  for (const cat of CATEGORIES) {
    const cs = checks.filter((ch) => ch.category === cat);
    if (cs.length === 0) continue;
    lines.push(c.bold(cat[0].toUpperCase() + cat.slice(1)));
    for (const ch of cs) {
      const profiles = (ch.profiles ?? ['build']).join(', ');
      lines.push(`  ${c.bold(ch.id)}  ${ch.title}${c.dim(`  [profile: ${profiles}${ch.needs?.length ? `; needs ${ch.needs.join(', ')}` : ''}]`)}`);
      lines.push(`      checks: ${ch.description}`);
      lines.push(`      fix:    ${ch.fixDescription ?? 'none (hint only)'}`);
    }
  }
  out.stdout(lines.join('\n') + '\n');
}
