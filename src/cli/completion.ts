/**
 * Shell completion scripts for bash, zsh and fish, generated from the command
 * list oclif already has (the manifest: ids, flags, argument choices), so they
 * need no cache and always match the devenv that printed them. A command's
 * words are separated by spaces (`devenv bundle create`); the scripts find the
 * command typed so far by walking the words that name a known command or
 * topic, then offer the next words, that command's flags, or a flag's choices.
 */

export interface CompletionFlag {
  name: string;
  char?: string;
  summary: string;
  /** Takes a value (an "option" flag in oclif). */
  value: boolean;
  /** The allowed values, when the flag lists them. */
  options?: string[];
}

export interface CompletionCommand {
  /** Words joined by ':' (bundle:create). */
  id: string;
  summary: string;
  flags: CompletionFlag[];
  /** Choices of its first argument, when it lists them. */
  argOptions: string[];
}

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** What completionSpec reads of a command (oclif's Command.Loadable has it). */
export interface LoadableLike {
  id: string;
  hidden?: boolean;
  summary?: string;
  description?: string;
  aliases?: string[];
  flags: Record<string, { type: string; char?: string; options?: readonly string[]; hidden?: boolean; summary?: string; description?: string }>;
  args: Record<string, { options?: readonly string[] }>;
}

const firstLine = (s: string | undefined) => (s ?? '').split('\n')[0].trim();

/** The visible commands (and aliases) with their visible flags, sorted by id. */
export function completionSpec(commands: readonly LoadableLike[]): CompletionCommand[] {
  const out: CompletionCommand[] = [];
  for (const c of commands) {
    if (c.hidden) continue;
    const flags = Object.entries(c.flags ?? {})
      .filter(([, f]) => !f.hidden)
      .map(([name, f]) => ({ name, char: f.char, summary: firstLine(f.summary ?? f.description), value: f.type === 'option', options: f.options ? [...f.options] : undefined }));
    const argOptions = Object.values(c.args ?? {})[0]?.options ?? [];
    for (const id of [c.id, ...(c.aliases ?? [])]) out.push({ id, summary: firstLine(c.summary ?? c.description), flags, argOptions: [...argOptions] });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** Only plain words go into the scripts: ids, flag names and choices are checked, so nothing needs quoting. */
const WORD = /^[\w.@%+=,/-]+$/;
function word(s: string): string {
  if (!WORD.test(s)) throw new Error(`cannot complete "${s}": only letters, digits and . _ @ % + = , / - are allowed`);
  return s;
}
const words = (xs: readonly string[]) => xs.map(word).join(' ');
const ids = (spec: readonly CompletionCommand[]) => spec.map((c) => c.id.split(':').map(word).join(':'));
const flagWords = (c: CompletionCommand) => c.flags.flatMap((f) => [`--${word(f.name)}`, ...(f.char ? [`-${word(f.char)}`] : [])]);

/** Single-quoted for sh/zsh/fish: descriptions only. */
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const fishq = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function completionScript(shell: Shell, bin: string, spec: readonly CompletionCommand[]): string {
  word(bin);
  if (shell === 'fish') return fish(bin, spec);
  return shell === 'zsh' ? zsh(bin, spec) : bash(bin, spec);
}

const fn = (bin: string) => `_${bin.replace(/[^\w]/g, '_')}`;

/**
 * The shared walk (bash and zsh): $w holds the words before the cursor (without
 * the program name). Sets id (the command or topic typed so far) and skips
 * `help` in front, so `devenv help bundle cr<Tab>` completes too.
 */
function walk(list: string): string {
  return `  local id='' x n
  for x in "\${w[@]}"; do
    case $x in -*) continue ;; esac
    if [[ -z $id && $x == help ]]; then continue; fi
    n=\${id:+$id:}$x
    if [[ " ${list} " == *" $n "* || " ${list} " == *" $n:"* ]]; then id=$n; else break; fi
  done`;
}

/** For the current word: flags (when it starts with -), a flag's choices (after one that takes a value), or the next command words. */
function caseBlocks(bin: string, spec: readonly CompletionCommand[]): { flags: string; values: string; args: string } {
  const flags = spec.map((c) => `    ${c.id}) o='${words(flagWords(c))} --help' ;;`).join('\n');
  const values = spec
    .flatMap((c) =>
      c.flags
        .filter((f) => f.value)
        .map((f) => `    '${c.id} --${word(f.name)}'${f.char ? `|'${c.id} -${word(f.char)}'` : ''}) ${f.options ? `o='${words(f.options)}'` : 'o=-'} ;;`),
    )
    .join('\n');
  const args = spec.filter((c) => c.argOptions.length > 0).map((c) => `    ${c.id}) o="$o ${words(c.argOptions)}" ;;`).join('\n');
  void bin;
  return { flags, values, args };
}

function bash(bin: string, spec: readonly CompletionCommand[]): string {
  const f = fn(bin);
  const list = ids(spec).join(' ');
  const { flags, values, args } = caseBlocks(bin, spec);
  return `# ${bin} completion for bash: eval "$(${bin} autocomplete script bash)" (or save it as a file and source that).
# Generated from this ${bin}'s commands; print it again after an upgrade.
${f}_complete() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev='' o='' c
  (( COMP_CWORD > 1 )) && prev=\${COMP_WORDS[COMP_CWORD-1]}
  local -a w=("\${COMP_WORDS[@]:1:COMP_CWORD-1}") cands=()
${walk(list)}
  case "$id $prev" in
${values}
  esac
  if [[ $o == - ]]; then COMPREPLY=(); return 0; fi
  if [[ -z $o && $cur == -* ]]; then
    case $id in
${flags}
    '') o='--help -h --version' ;;
    esac
  elif [[ -z $o ]]; then
    for c in ${list}; do
      [[ -z $id || $c == "$id:"* ]] || continue
      c=\${c#"\${id:+$id:}"}
      c=\${c%%:*}
      [[ " \${cands[*]} " == *" $c "* ]] || cands+=("$c")
    done
    o=\${cands[*]}
    case $id in
${args}
    esac
  fi
  COMPREPLY=($(compgen -W "$o" -- "$cur"))
}
complete -o default -F ${f}_complete ${bin}
`;
}

function zsh(bin: string, spec: readonly CompletionCommand[]): string {
  const f = fn(bin);
  const list = ids(spec).join(' ');
  const { flags, values, args } = caseBlocks(bin, spec);
  const summaries = spec.map((c) => `    ${c.id} ${sq(c.summary.replace(/:/g, '\\:'))}`).join('\n');
  return `#compdef ${bin}
# ${bin} completion for zsh: eval "$(${bin} autocomplete script zsh)" after compinit,
# or save it as _${bin} in a directory on $fpath. Generated from this ${bin}'s
# commands; print it again after an upgrade.
${f}() {
  local cur=\${words[CURRENT]} prev='' o='' c
  (( CURRENT > 2 )) && prev=\${words[CURRENT-1]}
  local -a w=("\${(@)words[2,CURRENT-1]}") cands=() described=()
  local -A sums=(
${summaries}
  )
${walk(list)}
  case "$id $prev" in
${values}
  esac
  if [[ $o == - ]]; then _files; return; fi
  if [[ -z $o && $cur == -* ]]; then
    case $id in
${flags}
    '') o='--help -h --version' ;;
    esac
    compadd -- \${=o}
    return
  fi
  if [[ -z $o ]]; then
    for c in ${list}; do
      [[ -z $id || $c == "$id:"* ]] || continue
      c=\${c#\${id:+$id:}}
      c=\${c%%:*}
      (( \${cands[(Ie)$c]} )) && continue
      cands+=("$c")
      local full=\${id:+$id:}$c
      if (( \${+sums[$full]} )); then described+=("$c:\${sums[$full]}"); else described+=("$c"); fi
    done
    case $id in
${args.replace(/o="\$o /g, 'described+=(').replace(/" ;;/g, ') ;;')}
    esac
    if (( \${#described} )); then _describe -t commands '${bin} command' described; else _files; fi
    return
  fi
  compadd -- \${=o}
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  ${f} "$@"
else
  compdef ${f} ${bin}
fi
`;
}

function fish(bin: string, spec: readonly CompletionCommand[]): string {
  const f = fn(bin);
  const list = ids(spec).join(' ');
  const lines: string[] = [];
  for (const c of spec) {
    for (const fl of c.flags) {
      const parts = [`complete -c ${bin} -n '${f}_is ${c.id}' -l ${word(fl.name)}`];
      if (fl.char) parts.push(`-s ${word(fl.char)}`);
      if (fl.value) parts.push(fl.options ? `-x -a ${sq(words(fl.options))}` : '-r -F');
      if (fl.summary) parts.push(`-d ${fishq(fl.summary)}`);
      lines.push(parts.join(' '));
    }
    if (c.argOptions.length > 0) lines.push(`complete -c ${bin} -n '${f}_is ${c.id}' -a ${sq(words(c.argOptions))}`);
  }
  const summaries = spec.map((c) => `    case ${c.id}\n      echo ${fishq(c.summary)}`).join('\n');
  return `# ${bin} completion for fish: ${bin} autocomplete script fish | source
# (or save it as ~/.config/fish/completions/${bin}.fish). Generated from this
# ${bin}'s commands; print it again after an upgrade.
function ${f}_id --description 'the ${bin} command or topic typed so far'
    set -l id ''
    set -l ids ${list}
    set -l toks (commandline -opc)
    set -e toks[1]
    for x in $toks
        string match -q -- '-*' $x; and continue
        if test -z "$id" -a "$x" = help
            continue
        end
        set -l n $x
        test -n "$id"; and set n "$id:$x"
        if contains -- $n $ids; or string match -q -- "$n:*" $ids
            set id $n
        else
            break
        end
    end
    echo $id
end
function ${f}_is
    test (${f}_id) = "$argv[1]"
end
function ${f}_summary
    switch $argv[1]
${summaries}
    end
end
function ${f}_next --description 'the next words of ${bin} commands'
    set -l id (${f}_id)
    set -l seen
    for c in ${list}
        set -l rest $c
        if test -n "$id"
            string match -q -- "$id:*" $c; or continue
            set rest (string replace -- "$id:" '' $c)
        end
        set -l next (string split -m1 : $rest)[1]
        contains -- $next $seen; and continue
        set -a seen $next
        if test "$rest" = "$next"
            printf '%s\\t%s\\n' $next (${f}_summary $c)
        else
            printf '%s\\n' $next
        end
    end
end
complete -c ${bin} -f
complete -c ${bin} -a '(${f}_next)'
complete -c ${bin} -n 'test -z (${f}_id)' -l version -d 'Print the version'
complete -c ${bin} -s h -l help -d 'Show help'
${lines.join('\n')}
`;
}
