/**
 * Command-line flags through node:util's parseArgs, with the one-line errors our CLIs promise (the flag
 * and what it wants). parseArgs splits the arguments (`--flag value`, `--flag=value`, `-h`); its strict
 * mode would also reject bad ones, but in words that don't name our forms, so it runs lenient with
 * tokens and this walks them: the first problem becomes a FlagError.
 */
import { parseArgs } from 'node:util';

export class FlagError extends Error {
  override readonly name = 'FlagError';
}

/** Each long flag without its dashes → whether it takes a value. */
export type FlagSpec = Record<string, 'string' | 'boolean'>;

/** The flags given, by long name without dashes (a value, or true for a boolean); 'help' for --help or -h. */
export type Flags = Map<string, string | true>;

export function readFlags(argv: readonly string[], spec: FlagSpec, { negatable = [] as readonly string[] } = {}): Flags | 'help' {
  const options = Object.fromEntries(Object.entries(spec).map(([name, type]) => [name, { type }]));
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const flags: Flags = new Map();
  for (const token of tokens) {
    if (token.kind === 'option-terminator') throw new FlagError("unexpected '--' (see --help)");
    if (token.kind === 'positional') throw new FlagError(`unexpected argument '${token.value}' (options start with --; see --help)`);
    const flag = token.rawName;
    if (token.name === 'help' || token.name === 'h') return 'help';
    const type = spec[token.name];
    if (type === undefined) {
      const negated = token.name.startsWith('no-') ? token.name.slice(3) : undefined;
      if (negated !== undefined && negatable.includes(negated)) throw new FlagError(`unknown option ${flag}: write --${negated} off`);
      throw new FlagError(`unknown option ${flag} (see --help)`);
    }
    if (flags.has(token.name)) throw new FlagError(`${flag} given twice`);
    if (type === 'boolean') {
      if (token.value !== undefined) throw new FlagError(`${flag} takes no value`);
      flags.set(token.name, true);
      continue;
    }
    // parseArgs takes the next argument as the value whatever it is; one that is itself a flag means the value was forgotten.
    if (token.value === undefined || (!token.inlineValue && /^--./.test(token.value))) throw new FlagError(`${flag} needs a value`);
    flags.set(token.name, token.value);
  }
  return flags;
}
