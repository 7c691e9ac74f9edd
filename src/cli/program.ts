// The command line: commander's definition, grouped like getscu's help.
import { Command, InvalidArgumentError, Option } from 'commander';
import { VERSION } from '../dicom/implementation.ts';
import { DEFAULTS } from '../retrieve/options.ts';
import { EXIT_TABLE } from './exit-codes.ts';
import type { IdentityFlags, TlsFlags } from './security-flags.ts';
import { parseShard, type Shard } from '../retrieve/shard.ts';
import { UsageError } from '../dicom/usage-error.ts';

export interface Flags extends TlsFlags, IdentityFlags {
  aetitle: string;
  call: string;
  maxPdu: number;
  timeout: number;
  acseTimeout: number;
  dimseTimeout: number;
  totalTimeout: number;
  config?: string;
  parallel: number;
  echo?: boolean;
  via?: 'get' | 'move' | 'auto';
  port?: number;
  move?: string;
  listenAddress?: string;
  movePeerHost: string[];
  movePeerAet?: string;
  patientRoot?: boolean;
  studyRoot?: boolean;
  psonly?: boolean;
  model?: string;
  key: string[];
  level?: string;
  patientId: string[];
  study: string[];
  series: string[];
  instance: string[];
  uidsFrom?: string;
  queryJson?: string;
  dryRun?: boolean;
  plan: boolean;
  retry: boolean;
  storageClass: string[];
  storageConfig?: string;
  transferSyntax: string[];
  preferUncompressed?: boolean;
  relational?: boolean;
  layout: string;
  onExists: 'overwrite' | 'skip' | 'rename' | 'fail';
  outputDirectory: string;
  ignore?: boolean;
  fsync?: boolean;
  expectCount?: number;
  expectMin?: number;
  cancelAfter?: number;
  ledger?: string;
  shard?: Shard;
  json?: boolean;
  ndjson?: boolean;
  progress: boolean;
  color: boolean;
  logLevel?: LogLevel;
  quiet?: boolean;
  verbose?: boolean;
  debug?: boolean;
}

/** dcmget's levels, and getscu's (fatal: dcmget's error level; trace: its debug level). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'verbose', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} takes a whole number from ${min} to ${max}, not "${value}"`);
    }
    return n;
  };
}

function seconds(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} takes a number of seconds (0 for none), not "${value}"`);
    return n;
  };
}

function aeTitle(value: string): string {
  // PS3.5 6.2 (AE): 1-16 characters, no backslash or control characters, not all spaces.
  if (!value.trim() || value.length > 16 || /[\\\0-\x1f\x7f]/.test(value)) {
    throw new InvalidArgumentError(`an AE title is 1 to 16 printable characters without backslash, not "${value}"`);
  }
  return value;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];
/** Repeatable, and each value may be a list: `--study A --study B` or `--study A,B` or `A\\B`. */
const collectList = (value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(/[,\\]/).map((v) => v.trim()).filter(Boolean)];

/** Whether a dcmget option takes a value (the next word), for the getscu rewrite. */
export function optionTakesValue(program: Command): (option: string) => boolean {
  const names = new Set(program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short]).filter((n): n is string => !!n));
  return (option) => names.has(option);
}

export function buildProgram(): Command {
  const program = new Command('dcmget')
    .usage('[options] peer port [query-file...]   (with --tls, port defaults to 2762)')
    .description('DICOM retrieve (C-GET SCU): fetch studies, series or instances from a PACS into a folder.')
    .argument('[peer]', 'host name or IP address of the C-GET SCP')
    .argument('[port]', 'TCP port of the C-GET SCP')
    .argument('[query-file...]', 'DICOM files whose data sets are used as Identifiers, one C-GET each (as getscu)')
    .version(VERSION, '--version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help and exit');
  for (const group of [networkOptions, moveOptions, securityOptions, queryOptions, storageOptions, outputOptions, displayOptions]) group(program);
  return program
    .addHelpText('after', `
getscu's options work too (-aet -aec -od -pdu -to -ta -td -ll, +B, +xs, -xi, +tls, @file …):
every one, and what dcmget does with it, is in docs/getscu.md.
Ctrl-C once sends C-CANCEL and waits for the final response; twice aborts at once.

Examples:
  dcmget -S -aec ORTHANC pacs.example.org 4242 -k QueryRetrieveLevel=STUDY -k StudyInstanceUID=1.2.3.4 -od ./study
  dcmget -aec ORTHANC localhost 4242 -k PatientID=12345 -od ./patient
  dcmget --echo -aec ORTHANC localhost 4242
  dcmget -S -aec PACS pacs 11112 -k StudyInstanceUID=1.2.3 --expect-min 1 --json > report.json

Exit codes:
${EXIT_TABLE.map(([code, text]) => `  ${String(code).padStart(2)}  ${text}`).join('\n')}
`)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: () => {} }); // printed once, in our own format, by main()
}


function networkOptions(program: Command): void {
  program
    .optionsGroup('Network:')
    .addOption(new Option('--aetitle <aetitle>', 'our calling AE title (getscu -aet)').default(DEFAULTS.callingAeTitle).argParser(aeTitle).env('DCMGET_AET'))
    .addOption(new Option('--call <aetitle>', 'the called AE title of the peer (getscu -aec)').default(DEFAULTS.calledAeTitle).argParser(aeTitle).env('DCMGET_CALL'))
    .addOption(new Option('--max-pdu <bytes>', 'maximum PDU length we receive, 4096..4294967295, or 0 for no limit (getscu -pdu)').default(DEFAULTS.maxPduLength).argParser(integer('--max-pdu', 0, 0xffffffff)).env('DCMGET_MAX_PDU'))
    .addOption(new Option('--timeout <seconds>', 'TCP connection timeout (getscu -to)').default(DEFAULTS.connectTimeoutMs / 1000).argParser(seconds('--timeout')).env('DCMGET_TIMEOUT'))
    .addOption(new Option('--acse-timeout <seconds>', 'timeout for association negotiation and release (getscu -ta)').default(DEFAULTS.acseTimeoutMs / 1000).argParser(seconds('--acse-timeout')).env('DCMGET_ACSE_TIMEOUT'))
    .addOption(new Option('--dimse-timeout <seconds>', 'longest silence from the peer during an operation, 0 for none (getscu -td)').default(DEFAULTS.dimseTimeoutMs / 1000).argParser(seconds('--dimse-timeout')).env('DCMGET_DIMSE_TIMEOUT'))
    .addOption(new Option('--total-timeout <seconds>', 'deadline for the whole retrieve, 0 for none').default(DEFAULTS.totalTimeoutMs / 1000).argParser(seconds('--total-timeout')).env('DCMGET_TOTAL_TIMEOUT'))
    .addOption(new Option('--parallel <n>', 'associations at once: a study is split by series (from a C-FIND) and shared out').default(DEFAULTS.parallel).argParser(integer('--parallel', 1, 32)))
    .addOption(new Option('--echo', 'only check that the peer answers C-ECHO, then exit'))
    .addOption(new Option('--config <file>', 'named peers (default ~/.config/dcmget/config.json): dcmget NAME … then needs no host, port or AE titles').env('DCMGET_CONFIG'));
}

function moveOptions(program: Command): void {
  program
    .optionsGroup('C-MOVE (for a PACS without C-GET; README "When the PACS has no C-GET: C-MOVE"):')
    .addOption(new Option('--via <how>', 'get: C-GET; move: C-MOVE into dcmget\'s own Storage SCP; auto: C-GET where the PACS accepts it, else C-MOVE (default: auto with --port, else get)').choices(['get', 'move', 'auto']))
    .addOption(new Option('--port <n>', 'the port dcmget\'s Storage SCP listens on for the PACS\'s C-STOREs (movescu +P)').argParser(integer('--port', 1, 65535)))
    .addOption(new Option('--move <aetitle>', 'our AE title as the C-MOVE destination, as the PACS knows it (movescu -aem; default: --aetitle)').argParser(aeTitle))
    .addOption(new Option('--listen-address <address>', 'the address the Storage SCP listens on (default: every address)'))
    .addOption(new Option('--move-peer-host <host>', 'also let the PACS in from this host (it may connect from another address: NAT, a second interface); repeatable').argParser(collect).default([]))
    .addOption(new Option('--move-peer-aet <aetitle>', 'let in only this calling AE title (default: a named peer\'s "aet", else any from the PACS\'s host)').argParser(aeTitle));
}

function securityOptions(program: Command): void {
  program
    .optionsGroup('Security:')
    .addOption(new Option('--tls', 'DICOM over TLS (PS3.15 B.9, BCP 195: TLS 1.2+, AEAD suites); the port defaults to 2762'))
    .addOption(new Option('--tls-ca <file>', 'PEM bundle of the CAs that may sign the peer\'s certificate (default: the system\'s); repeatable').argParser(collect))
    .addOption(new Option('--tls-cert <file>', 'our certificate (PEM), for peers that require one'))
    .addOption(new Option('--tls-key <file>', 'the private key (PEM) of --tls-cert'))
    .addOption(new Option('--tls-servername <name>', 'the host name the peer\'s certificate must carry (default: peer)'))
    .addOption(new Option('--tls-no-verify', 'do NOT verify the peer\'s certificate (loud warning; tests only)'))
    .addOption(new Option('--user <name>', 'User Identity Negotiation (PS3.7 D.3.3.7): username'))
    .addOption(new Option('--password-env <var>', 'the password, from this environment variable'))
    .addOption(new Option('--password-file <file>', 'the password, from the first line of this file'))
    .addOption(new Option('--password-prompt', 'ask for the password on the terminal (not echoed)'))
    .addOption(new Option('--jwt-env <var>', 'a JSON Web Token as identity, from this environment variable'))
    .addOption(new Option('--jwt-file <file>', 'a JSON Web Token as identity, from this file'))
    .addOption(new Option('--identity-response', 'ask the peer to confirm the identity (positive response requested)'));
}

function queryOptions(program: Command): void {
  program
    .optionsGroup('Query:')
    .addOption(new Option('--study <uid>', 'retrieve this study; repeat or list (A,B) for several, one C-GET each').argParser(collectList))
    .addOption(new Option('--series <uid>', 'retrieve this series (list: several)').argParser(collectList))
    .addOption(new Option('--instance <uid>', 'retrieve this instance (list: several)').argParser(collectList))
    .addOption(new Option('--patient-id <id>', 'retrieve this patient\'s studies (list: several)').argParser(collectList))
    .addOption(new Option('--uids-from <file>', 'UIDs one a line from a file, or - for standard input (of --level, default STUDY)'))
    .addOption(new Option('--level <level>', 'Query/Retrieve Level: PATIENT, STUDY, SERIES, IMAGE or FRAME (default: from the most specific UID given)').argParser((v: string) => {
      const l = v.toUpperCase();
      if (!['PATIENT', 'STUDY', 'SERIES', 'IMAGE', 'FRAME'].includes(l)) throw new InvalidArgumentError(`--level takes PATIENT, STUDY, SERIES, IMAGE or FRAME, not "${v}"`);
      return l;
    }))
    .addOption(new Option('-k, --key <key>', 'a key of the Identifier: Keyword=value, gggg,eeee=value, Sequence[0].Keyword=value; repeat for more').argParser(collect))
    .addOption(new Option('--query-json <file>', 'Identifier(s) in the DICOM JSON model (PS3.18 F.2); an array for several'))
    .addOption(new Option('-P, --patient-root', 'Patient Root information model (getscu -P; the default unless only UIDs are given)'))
    .addOption(new Option('-S, --study-root', 'Study Root information model (getscu -S)'))
    .addOption(new Option('-O, --psonly', 'Patient/Study Only information model (getscu -O)'))
    .addOption(new Option('--model <name|uid>', 'any C-GET model by name or GET SOP Class UID: patient, study, patient-study-only, composite-instance, without-bulk-data, hanging-protocol, color-palette, …'))
    .addOption(new Option('--relational', 'ask for relational retrieve (SOP Class Extended Negotiation, PS3.4 C.5.3)'))
    .addOption(new Option('--dry-run', 'print the Identifier(s) and the presentation contexts that would be proposed; connect to nothing'));
}

function storageOptions(program: Command): void {
  program
    .optionsGroup('Storage:')
    .addOption(new Option('--no-retry', 'no recovery: what the C-GET did not bring is not asked for again'))
    .addOption(new Option('--no-plan', 'skip the C-FIND that learns which storage classes the match holds; propose the default set'))
    .addOption(new Option('--storage-class <class>', 'also propose this storage class: UID, keyword (CTImageStorage) or @group (@ct, @mr, @sr, @rt, @non-patient, @all…); repeatable').argParser(collect))
    .addOption(new Option('--storage-config <file>', 'storage classes and their contexts from a JSON file (see README)'))
    .addOption(new Option('--transfer-syntax <ts>', 'propose this transfer syntax (UID or name: explicit, implicit, jpeg-lossless-sv1, j2k-lossless, rle, …), each in a context of its own; repeatable').argParser(collect))
    .addOption(new Option('--prefer-uncompressed', 'propose only the uncompressed syntaxes (a transcoding PACS then decompresses)'));
}

function outputOptions(program: Command): void {
  program
    .optionsGroup('Output:')
    .addOption(new Option('--output-directory <dir>', 'where received instances are written, created if missing (getscu -od)').default('.').env('DCMGET_OUTPUT_DIRECTORY'))
    .addOption(new Option('--layout <template>', 'file path under the output folder, with {Keyword} or {gggg,eeee} placeholders from each instance').default(DEFAULTS.layout))
    .addOption(new Option('--on-exists <mode>', 'when the file exists: overwrite, skip, rename (add -1, -2…) or fail').choices(['overwrite', 'skip', 'rename', 'fail']).default(DEFAULTS.onExists))
    .addOption(new Option('--ignore', 'receive and acknowledge instances but store nothing (as getscu --ignore)'))
    .addOption(new Option('--fsync', 'flush each file to stable storage before acknowledging it'))
    .addOption(new Option('--expect-count <n>', 'fail (exit 4, or 5 if none) unless exactly n instances arrive').argParser(integer('--expect-count', 0, 1e9)))
    .addOption(new Option('--expect-min <n>', 'fail (exit 4, or 5 if none) unless at least n instances arrive').argParser(integer('--expect-min', 0, 1e9)))
    .addOption(new Option('--cancel-after <n>', 'send C-CANCEL after n instances have been stored').argParser(integer('--cancel-after', 0, 1e9)))
    .addOption(new Option('--ledger <file>', 'append a record of each finished request to this file; a rerun skips what it lists as complete'))
    .addOption(new Option('--shard <K/N>', 'only the requests of shard K of N (K from 0): a hash of each UID, for job arrays').argParser((v: string) => {
      try {
        return parseShard(v);
      } catch (err) {
        throw new InvalidArgumentError((err as UsageError).message);
      }
    }))
    .addOption(new Option('--json', 'print one JSON report on stdout at the end'))
    .addOption(new Option('--ndjson', 'print one JSON line per event on stdout as it happens'));
}

function displayOptions(program: Command): void {
  program
    .optionsGroup('Display and logging:')
    .addOption(new Option('--no-progress', 'no live progress bar, even on a terminal (plain Pending lines, at most one a second; -v: every one)'))
    .addOption(new Option('--no-color', 'no colours (also: NO_COLOR=1; FORCE_COLOR=1 forces them)'))
    .addOption(new Option('--log-level <level>', 'error, warn, info (default), verbose or debug; getscu\'s fatal and trace too (getscu -ll)').choices(LOG_LEVELS).env('DCMGET_LOG_LEVEL'))
    .addOption(new Option('-q, --quiet', 'print errors only (--log-level error)'))
    .addOption(new Option('-v, --verbose', 'association and DIMSE details, the negotiated presentation contexts (--log-level verbose)'))
    .addOption(new Option('-d, --debug', 'PDU-level trace and stack traces (--log-level debug)'));
}
