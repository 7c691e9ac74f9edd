// The command line: commander's definition, grouped like getscu's help.
import { Command, InvalidArgumentError, Option } from 'commander';
import { VERSION } from '../dicom/implementation.ts';
import { DEFAULT_MAX_PDU } from '../retrieve/retrieve.ts';
import { EXIT_TABLE } from './exit-codes.ts';

export interface Flags {
  aetitle: string;
  call: string;
  maxPdu: number;
  timeout: number;
  acseTimeout: number;
  dimseTimeout: number;
  totalTimeout: number;
  echo?: boolean;
  patient?: boolean;
  study?: boolean;
  psonly?: boolean;
  key: string[];
  plan: boolean;
  outputDirectory: string;
  ignore?: boolean;
  fsync?: boolean;
  expectCount?: number;
  expectMin?: number;
  cancelAfter?: number;
  json?: boolean;
  ndjson?: boolean;
  progress: boolean;
  color: boolean;
  logLevel?: LogLevel;
  quiet?: boolean;
  verbose?: boolean;
  debug?: boolean;
}

export const LOG_LEVELS = ['error', 'warn', 'info', 'verbose', 'debug'] as const;
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

const collect = (value: string, previous: string[]) => [...previous, value];

export function buildProgram(): Command {
  return new Command('dcmget')
    .usage('[options] peer port [query-file...]')
    .description('DICOM retrieve (C-GET SCU): fetch studies, series or instances from a PACS into a folder.')
    .argument('[peer]', 'host name or IP address of the C-GET SCP')
    .argument('[port]', 'TCP port of the C-GET SCP')
    .argument('[query-file...]', 'DICOM files whose data sets are used as Identifiers, one C-GET each (as getscu)')
    .version(VERSION, '--version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .optionsGroup('Network:')
    .addOption(new Option('--aetitle <aetitle>', 'our calling AE title (getscu -aet)').default('DCMGET').argParser(aeTitle))
    .addOption(new Option('--call <aetitle>', 'the called AE title of the peer (getscu -aec)').default('ANY-SCP').argParser(aeTitle))
    .addOption(new Option('--max-pdu <bytes>', 'maximum PDU length we receive, 4096..4294967295, or 0 for no limit (getscu -pdu)').default(DEFAULT_MAX_PDU).argParser(integer('--max-pdu', 0, 0xffffffff)))
    .addOption(new Option('--timeout <seconds>', 'TCP connection timeout (getscu -to)').default(30).argParser(seconds('--timeout')))
    .addOption(new Option('--acse-timeout <seconds>', 'timeout for association negotiation and release (getscu -ta)').default(30).argParser(seconds('--acse-timeout')))
    .addOption(new Option('--dimse-timeout <seconds>', 'longest silence from the peer during an operation, 0 for none (getscu -td)').default(0).argParser(seconds('--dimse-timeout')))
    .addOption(new Option('--total-timeout <seconds>', 'deadline for the whole retrieve, 0 for none').default(0).argParser(seconds('--total-timeout')))
    .addOption(new Option('--echo', 'only check that the peer answers C-ECHO, then exit'))
    .optionsGroup('Query:')
    .addOption(new Option('-P, --patient', 'Patient Root information model (default)'))
    .addOption(new Option('-S, --study', 'Study Root information model'))
    .addOption(new Option('-O, --psonly', 'Patient/Study Only information model'))
    .addOption(new Option('-k, --key <key>', 'a key of the Identifier: Keyword=value or gggg,eeee=value; repeat for more').default([]).argParser(collect))
    .optionsGroup('Storage:')
    .addOption(new Option('--no-plan', 'skip the C-FIND that learns which storage classes the match holds; propose the default set'))
    .optionsGroup('Output:')
    .addOption(new Option('--output-directory <dir>', 'where received instances are written, created if missing (getscu -od)').default('.'))
    .addOption(new Option('--ignore', 'receive and acknowledge instances but store nothing (as getscu --ignore)'))
    .addOption(new Option('--fsync', 'flush each file to stable storage before acknowledging it'))
    .addOption(new Option('--expect-count <n>', 'fail (exit 4, or 5 if none) unless exactly n instances arrive').argParser(integer('--expect-count', 0, 1e9)))
    .addOption(new Option('--expect-min <n>', 'fail (exit 4, or 5 if none) unless at least n instances arrive').argParser(integer('--expect-min', 0, 1e9)))
    .addOption(new Option('--cancel-after <n>', 'send C-CANCEL after n instances have been stored').argParser(integer('--cancel-after', 0, 1e9)))
    .addOption(new Option('--json', 'print one JSON report on stdout at the end'))
    .addOption(new Option('--ndjson', 'print one JSON line per event on stdout as it happens'))
    .optionsGroup('Display and logging:')
    .addOption(new Option('--no-progress', 'no live progress bar, even on a terminal (one plain line per pending response)'))
    .addOption(new Option('--no-color', 'no colours (also: NO_COLOR=1; FORCE_COLOR=1 forces them)'))
    .addOption(new Option('--log-level <level>', 'error, warn, info (default), verbose or debug').choices(LOG_LEVELS))
    .addOption(new Option('-q, --quiet', 'print errors only (--log-level error)'))
    .addOption(new Option('-v, --verbose', 'association and DIMSE details, the negotiated presentation contexts (--log-level verbose)'))
    .addOption(new Option('-d, --debug', 'PDU-level trace and stack traces (--log-level debug)'))
    .addHelpText('after', `
getscu spellings also work: -aet -aec -od -pdu -to -ta -td.
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
