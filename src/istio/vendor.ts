/** go.mod requirements vs vendor/modules.txt: the consistency `go build -mod=vendor` insists on. */

export interface Requirement {
  path: string;
  version: string;
}

/** `require` lines and blocks of a go.mod (indirect ones included: go vendors them too). */
export function parseRequires(gomod: string): Requirement[] {
  const out: Requirement[] = [];
  let inBlock = false;
  for (const raw of gomod.split(/\r?\n/)) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (!line) continue;
    if (inBlock) {
      if (line === ')') inBlock = false;
      else {
        const [p, v] = line.split(/\s+/);
        if (p && v) out.push({ path: p, version: v });
      }
      continue;
    }
    if (/^require\s*\($/.test(line)) inBlock = true;
    else {
      const m = /^require\s+(\S+)\s+(\S+)$/.exec(line);
      if (m) out.push({ path: m[1], version: m[2] });
    }
  }
  return out;
}

export interface VendoredModule {
  path: string;
  version: string;
  explicit: boolean;
}

/** `# path version` headers (and `## explicit` markers, Go ≥1.14) of vendor/modules.txt. */
export function parseModulesTxt(text: string): { modules: VendoredModule[]; hasExplicitMarkers: boolean } {
  const modules: VendoredModule[] = [];
  let hasExplicitMarkers = false;
  for (const line of text.split(/\r?\n/)) {
    const m = /^# (\S+) (\S+)(?:\s+=>.*)?$/.exec(line);
    if (m) {
      modules.push({ path: m[1], version: m[2], explicit: false });
      continue;
    }
    if (/^## explicit/.test(line) && modules.length > 0) {
      modules[modules.length - 1].explicit = true;
      hasExplicitMarkers = true;
    }
  }
  return { modules, hasExplicitMarkers };
}

export interface VendorDiff {
  /** required by go.mod, absent from modules.txt */
  missing: Requirement[];
  /** in modules.txt at another version than go.mod requires */
  mismatched: { path: string; required: string; vendored: string }[];
  /** marked explicit in modules.txt but not required by go.mod */
  extra: VendoredModule[];
}

export function compareVendor(requires: Requirement[], modulesTxt: string): VendorDiff {
  const { modules, hasExplicitMarkers } = parseModulesTxt(modulesTxt);
  const byPath = new Map(modules.map((m) => [m.path, m]));
  const req = new Map(requires.map((r) => [r.path, r]));
  const diff: VendorDiff = { missing: [], mismatched: [], extra: [] };
  for (const r of requires) {
    const v = byPath.get(r.path);
    if (!v) diff.missing.push(r);
    else if (v.version !== r.version) diff.mismatched.push({ path: r.path, required: r.version, vendored: v.version });
  }
  if (hasExplicitMarkers) for (const m of modules) if (m.explicit && !req.has(m.path)) diff.extra.push(m);
  return diff;
}

export function describeDiff(d: VendorDiff): string[] {
  return [
    ...d.missing.map((m) => `${m.path} ${m.version}: required by go.mod, not in vendor/modules.txt`),
    ...d.mismatched.map((m) => `${m.path}: go.mod requires ${m.required}, vendor/modules.txt has ${m.vendored}`),
    ...d.extra.map((m) => `${m.path} ${m.version}: explicit in vendor/modules.txt, not required by go.mod`),
  ];
}
