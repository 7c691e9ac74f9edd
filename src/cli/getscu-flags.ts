// A getscu command line, as DCMTK scripts type it, into dcmget's: getscu's single-dash long
// options (-aet), its + options (+xs, +B, +tls), its long names that differ from dcmget's, and
// DCMTK's @file command files. Commander takes one-letter short flags and -- long ones only, so
// the rewrite comes first; what no dcmget flag carries goes into GetscuSettings. The table of
// options is getscu-options.ts (docs/getscu.md for people).
import fs from 'node:fs';
import { UsageError } from '../dicom/usage-error.ts';
import { GETSCU_BY_SPELLING, type GetscuSettings } from './getscu-options.ts';

export interface Translation {
  /** The command line for commander. */
  argv: string[];
  /** The command line after @file expansion, as --arguments prints it. */
  expanded: string[];
  settings: GetscuSettings;
  /** One line per getscu option that dcmget maps or accepts, for -v. */
  notes: string[];
}

/**
 * DCMTK movescu's spellings of what dcmget's C-MOVE takes (README "When the PACS has no C-GET"):
 * getscu has neither, so they cannot clash with its table.
 */
const MOVESCU_SPELLINGS: Record<string, string> = { '-aem': '--move', '+P': '--port' };

/** Which dcmget options take a value (so that a value is never read as an option). */
export type TakesValue = (option: string) => boolean;

/**
 * DCMTK's command files (OFCommandLine): an argument "@file" stands for the words of the file,
 * split at blanks and line ends, with '…' or "…" quoting. Not an option's value: dcmget's
 * `--storage-class @ct` names a group.
 */
export function expandCommandFiles(argv: string[], takesValue: TakesValue = () => false): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return [...out, ...argv.slice(i)];
    const values = GETSCU_BY_SPELLING.get(arg)?.values ?? (takesValue(arg) ? 1 : 0);
    if (values > 0) {
      out.push(...argv.slice(i, i + 1 + values));
      i += values;
    } else out.push(...(arg.length > 1 && arg.startsWith('@') ? commandFileWords(arg.slice(1)) : [arg]));
  }
  return out;
}

function commandFileWords(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot open command file @${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const words: string[] = [];
  for (const m of text.matchAll(/"([^"]*)"|'([^']*)'|([^\s"']+)/g)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

/** The getscu spellings in `argv` rewritten for dcmget; throws UsageError for a refused option. */
export function translateGetscu(argv: string[], takesValue: TakesValue): Translation {
  const expanded = expandCommandFiles(argv, takesValue);
  const settings: GetscuSettings = { crl: [] };
  const notes: string[] = [];
  const out: (string | Ambiguous)[] = [];
  for (let i = 0; i < expanded.length; i++) {
    const arg = expanded[i]!;
    if (arg === '--') {
      out.push(...expanded.slice(i));
      break;
    }
    if (arg === '--study') {
      const next = expanded[i + 1];
      out.push({ next, decided: undefined });
      continue;
    }
    const moveAlias = MOVESCU_SPELLINGS[arg];
    if (moveAlias) {
      out.push(moveAlias);
      notes.push(`movescu ${arg}: dcmget's ${moveAlias}`);
      continue;
    }
    const option = GETSCU_BY_SPELLING.get(arg);
    if (!option) {
      out.push(arg);
      if (takesValue(arg) && i + 1 < expanded.length) out.push(expanded[++i]!);
      continue;
    }
    const values = expanded.slice(i + 1, i + 1 + option.values);
    if (values.length < option.values) throw new UsageError(`getscu's ${arg} needs ${option.values === 1 ? 'a value' : `${option.values} values`}`);
    if (option.outcome === 'refused') throw new UsageError(`getscu's ${option.spellings.join(' / ')} is not supported: ${option.says}`);
    i += option.values;
    out.push(...(option.becomes ? option.becomes(values, settings) : [arg, ...values]));
    if (option.outcome === 'mapped' || option.outcome === 'accepted') notes.push(`getscu ${arg}: ${option.says}`);
  }
  return { argv: settleStudy(out, takesValue, notes), expanded, settings, notes };
}

/** getscu's long --study (no value: the Study Root model) or dcmget's --study UID. */
interface Ambiguous { next: string | undefined; decided: 'root' | 'uid' | undefined }

/**
 * A word after --study that does not start like a UID (a digit) makes it getscu's study root. One
 * that does makes it dcmget's --study UID (a malformed UID is then reported as one), unless the
 * command line then has no peer and port while as getscu's flag it would: `--study 10.0.0.1 104`
 * (an IPv4 address is a valid UID too).
 */
function settleStudy(tokens: (string | Ambiguous)[], takesValue: TakesValue, notes: string[]): string[] {
  for (const t of tokens) {
    if (typeof t === 'string') continue;
    if (t.next === undefined || !/^[0-9]/.test(t.next)) t.decided = 'root';
    else {
      t.decided = 'uid';
      const asUid = positionals(flatten(tokens), takesValue);
      t.decided = 'root';
      const asRoot = positionals(flatten(tokens), takesValue);
      t.decided = !peerAndPort(asUid) && peerAndPort(asRoot) ? 'root' : 'uid';
    }
    if (t.decided === 'root') notes.push('getscu --study: the Study Root model (dcmget\'s -S, --study-root); dcmget\'s --study UID names a study');
  }
  return flatten(tokens);
}

function flatten(tokens: (string | Ambiguous)[]): string[] {
  // An undecided --study counts as dcmget's (the UID taken as its value) meanwhile.
  return tokens.map((t) => (typeof t === 'string' ? t : t.decided === 'root' ? '--study-root' : '--study'));
}

/** The words of a dcmget command line that are not options or option values. */
export function positionals(argv: string[], takesValue: TakesValue): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a.length > 1) {
      if (!a.includes('=') && takesValue(a)) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/** A peer and a port (or a named peer alone): what a dcmget command line starts its words with. */
function peerAndPort(words: string[]): boolean {
  if (words.length === 0 || /^\d+$/.test(words[0]!)) return false;
  return words.length === 1 || /^\d+$/.test(words[1]!);
}
