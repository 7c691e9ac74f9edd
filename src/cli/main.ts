// dcmget [options] peer port [query-file...]: the getscu-style command line.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { chalkStderr as chalk } from 'chalk';
import { VERSION } from '../dicom/implementation.ts';
import { UsageError } from '../dicom/usage-error.ts';
import { describeStatus, statusCategory } from '../dimse/status.ts';
import { AssociationAbortedError, AssociationRejectedError, ConnectionError, TimeoutError } from '../ul/errors.ts';
import type { UlLogger } from '../ul/association.ts';
import { DEFAULT_MAX_PDU, echo, resolveModel, retrieve, type RetrieveResult } from '../retrieve/retrieve.ts';
import { EXIT, EXIT_TABLE } from './exit-codes.ts';
import { expandGetscuFlags } from './getscu-flags.ts';
import { buildIdentifiers } from './query.ts';
import { contextTable, paintStatus, pendingLine, summaryLines, type Verbosity } from './report.ts';

interface Flags {
  aetitle: string;
  call: string;
  maxPdu: number;
  timeout: number;
  acseTimeout: number;
  dimseTimeout: number;
  patient?: boolean;
  study?: boolean;
  psonly?: boolean;
  key: string[];
  outputDirectory: string;
  ignore?: boolean;
  fsync?: boolean;
  echo?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  debug?: boolean;
}

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}, not "${value}"`);
    return n;
  };
}

function seconds(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number of seconds (0 for none), not "${value}"`);
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
  const program = new Command('dcmget')
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
    .addOption(new Option('--echo', 'only check that the peer answers C-ECHO, then exit'))
    .optionsGroup('Query:')
    .addOption(new Option('-P, --patient', 'Patient Root information model (default)'))
    .addOption(new Option('-S, --study', 'Study Root information model'))
    .addOption(new Option('-O, --psonly', 'Patient/Study Only information model'))
    .addOption(new Option('-k, --key <key>', 'a key of the Identifier: Keyword=value or gggg,eeee=value; repeat for more').default([]).argParser(collect))
    .optionsGroup('Output:')
    .addOption(new Option('--output-directory <dir>', 'where received instances are written, created if missing (getscu -od)').default('.'))
    .addOption(new Option('--ignore', 'receive and acknowledge instances but store nothing (as getscu --ignore)'))
    .addOption(new Option('--fsync', 'flush each file to stable storage before acknowledging it'))
    .optionsGroup('Logging:')
    .addOption(new Option('-q, --quiet', 'print errors only'))
    .addOption(new Option('-v, --verbose', 'print association and DIMSE details, and the negotiated presentation contexts'))
    .addOption(new Option('-d, --debug', 'print PDU-level details and stack traces'))
    .addHelpText('after', `
getscu spellings also work: -aet -aec -od -pdu -to -ta -td.

Examples:
  dcmget -S -aec ORTHANC pacs.example.org 4242 -k QueryRetrieveLevel=STUDY -k StudyInstanceUID=1.2.3.4 -od ./study
  dcmget -aec ORTHANC localhost 4242 -k PatientID=12345 -od ./patient
  dcmget --echo -aec ORTHANC localhost 4242

Exit codes:
${EXIT_TABLE.map(([code, text]) => `  ${String(code).padStart(2)}  ${text}`).join('\n')}
`)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      outputError: () => {}, // printed once, in our own format, by main()
    });
  return program;
}

function exitCodeFor(result: RetrieveResult): number {
  const localFailure = result.failures.some((f) => f.errorCode !== undefined);
  if (result.error) {
    if (result.error instanceof UsageError) return EXIT.USAGE;
    return EXIT.ASSOCIATION;
  }
  if (localFailure) return EXIT.LOCAL_IO;
  switch (result.category) {
    case 'success': {
      const any = result.ledger.received > 0 || (result.counters.completed ?? 0) > 0;
      if (!any) return EXIT.NOTHING_MATCHED;
      return result.failures.length > 0 || (result.counters.failed ?? 0) > 0 ? EXIT.SUBOPERATIONS_FAILED : EXIT.SUCCESS;
    }
    case 'warning':
      return (result.counters.failed ?? 0) > 0 || result.failures.length > 0 || result.failedSopInstanceUids.length > 0 ? EXIT.SUBOPERATIONS_FAILED : EXIT.WARNING;
    case 'cancel':
      return EXIT.CANCELLED;
    case 'failure':
      return result.ledger.stored > 0 || (result.counters.completed ?? 0) > 0 ? EXIT.SUBOPERATIONS_FAILED : EXIT.REFUSED;
    default:
      return EXIT.ASSOCIATION;
  }
}

export function exitCodeForError(err: unknown): number {
  if (err instanceof UsageError || err instanceof InvalidArgumentError) return EXIT.USAGE;
  if (err instanceof ConnectionError || err instanceof TimeoutError || err instanceof AssociationRejectedError || err instanceof AssociationAbortedError) return EXIT.ASSOCIATION;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return EXIT.LOCAL_IO;
  return EXIT.INTERNAL;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  let flags: Flags;
  let args: string[];
  try {
    program.parse(expandGetscuFlags(argv), { from: 'user' });
    flags = program.opts<Flags>();
    args = program.args;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.SUCCESS;
      process.stderr.write(`dcmget: ${err.message.replace(/^error: /, '')} (see dcmget --help)\n`);
      return EXIT.USAGE;
    }
    throw err;
  }
  const verbosity: Verbosity = flags.debug ? 'debug' : flags.verbose ? 'verbose' : flags.quiet ? 'quiet' : 'normal';
  const say = (line: string) => { if (verbosity !== 'quiet') process.stderr.write(`${line}\n`); };
  const warn = (line: string) => { if (verbosity !== 'quiet') process.stderr.write(`${chalk.yellow('warning:')} ${line}\n`); };
  const logger: UlLogger = {
    verbose: verbosity === 'verbose' || verbosity === 'debug' ? (m) => process.stderr.write(`${chalk.dim(m)}\n`) : undefined,
    debug: verbosity === 'debug' ? (m) => process.stderr.write(`${chalk.dim(m)}\n`) : undefined,
  };
  try {
    const [peer, portText, ...queryFiles] = args;
    if (!peer || !portText) throw new UsageError('missing peer and port: dcmget [options] peer port [query-file...]');
    const port = Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`port must be an integer from 1 to 65535, not "${portText}"`);
    if (flags.maxPdu !== 0 && flags.maxPdu < 4096) throw new UsageError(`--max-pdu must be 0 (no limit) or at least 4096, not ${flags.maxPdu}`);
    const models = [flags.patient && 'patient', flags.study && 'study', flags.psonly && 'patient-study-only'].filter(Boolean) as string[];
    if (models.length > 1) throw new UsageError('choose one information model: -P (patient root), -S (study root) or -O (patient/study only)');
    const peerOptions = {
      host: peer, port,
      callingAeTitle: flags.aetitle, calledAeTitle: flags.call,
      maxPduLength: flags.maxPdu,
      connectTimeoutMs: flags.timeout * 1000, acseTimeoutMs: flags.acseTimeout * 1000, dimseTimeoutMs: flags.dimseTimeout * 1000,
      logger,
    };
    if (flags.echo) {
      const r = await echo(peerOptions);
      say(`C-ECHO ${flags.call}@${peer}:${port}: ${paintStatus(r.status, describeStatus(r.status, 'C-ECHO'))} in ${r.elapsedMs.toFixed(0)} ms`);
      return statusCategory(r.status) === 'success' ? EXIT.SUCCESS : EXIT.REFUSED;
    }
    const model = resolveModel(models[0] ?? 'patient');
    const identifiers = buildIdentifiers(flags.key, queryFiles, model);
    const result = await retrieve({
      ...peerOptions,
      model: model.model,
      identifiers,
      outputDirectory: flags.outputDirectory,
      ignore: flags.ignore ?? false,
      fsync: flags.fsync ?? false,
      warn,
      onEvent: (e) => {
        switch (e.type) {
          case 'associated': {
            if (logger.verbose) logger.verbose(`presentation contexts:\n${contextTable(e.contexts)}`);
            const refused = e.contexts.filter((c) => c.accepted && !c.scpRole && c.abstractSyntax !== model.get);
            if (refused.length && logger.verbose) warn(`${refused.length} storage context(s) accepted without the SCP role: no sub-operation can arrive on them`);
            break;
          }
          case 'pending': say(pendingLine(e.status, e.counters)); break;
          case 'stored': if (logger.verbose) logger.verbose(`stored ${e.file.path} (${e.file.dataSetBytes} bytes)`); break;
          case 'failed': warn(`sub-operation for ${e.failure.sopInstanceUid} answered ${e.failure.status.toString(16)}: ${e.failure.message}`); break;
          default: break;
        }
      },
    });
    const code = exitCodeFor(result);
    const lines = summaryLines(result, flags.outputDirectory, flags.ignore ?? false);
    if (verbosity === 'quiet') {
      if (code !== EXIT.SUCCESS) for (const l of lines.slice(0, -1)) process.stderr.write(`${l}\n`);
    } else {
      for (const l of lines) say(l);
    }
    return code;
  } catch (err) {
    const code = exitCodeForError(err);
    const message = (err as Error).message ?? String(err);
    process.stderr.write(`dcmget: ${chalk.red(code === EXIT.USAGE ? message : `error: ${message}`)}\n`);
    if (verbosity === 'debug' && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return code;
  }
}
