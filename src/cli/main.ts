// dcmget [options] peer port [query-file...]: the getscu-style command line.
import { CommanderError } from 'commander';
import { chalkStderr as chalk } from 'chalk';
import { UsageError } from '../dicom/usage-error.ts';
import { describeStatus, formatStatus, statusCategory } from '../dimse/status.ts';
import type { UlLogger } from '../ul/association.ts';
import { echo, previewContexts, resolveModel, retrieve, type RetrieveEvent, type RetrieveResult } from '../retrieve/retrieve.ts';
import { EXIT } from './exit-codes.ts';
import { exitCodeFor, exitCodeForError, unmetExpectations } from './exit-status.ts';
import { expandGetscuFlags } from './getscu-flags.ts';
import { eventJson, resultJson, type RunInfo } from './json-report.ts';
import { ProgressBar } from './progress-bar.ts';
import { buildProgram, type Flags, type LogLevel } from './program.ts';
import { buildIdentifiers, shortcutsWantStudyRoot, type QueryInput } from './query.ts';
import { readStorageConfig, resolveStorageClass, syntaxContexts } from './storage-flags.ts';
import { dryRunText } from './dry-run.ts';
import { DICOM_TLS_PORT, tlsOptions, userIdentity } from './security-flags.ts';
import { defaultConfigPath, loadConfig, namedPeer, type NamedPeer } from './peer-config.ts';
import type { Command } from 'commander';
import { compileLayout } from '../output/output-layout.ts';
import { planContexts } from '../retrieve/presentation-contexts.ts';
import { contextTable, paintStatus, pendingLine, summaryLines } from './report.ts';
import type { StoredFile } from '../retrieve/store-scp.ts';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, verbose: 3, debug: 4 };

function logLevelOf(flags: Flags): LogLevel {
  return flags.logLevel ?? (flags.debug ? 'debug' : flags.verbose ? 'verbose' : flags.quiet ? 'error' : 'info');
}

/** What the summary notes beside the final status: the library's notes, and a match that was empty. */
export function ledgerNotes(result: RetrieveResult): string[] {
  const notes = [...result.notes];
  if (result.nothingMatched && result.ledger.received === 0) notes.unshift('nothing matched: the C-FIND before the C-GET found no match either');
  return notes;
}

/** A named peer fills what neither the command line nor a DCMGET_* variable set. */
function applyNamedPeer(program: Command, flags: Flags, p: NamedPeer): void {
  const unset = (key: string) => {
    const source = program.getOptionValueSource(key);
    return source === undefined || source === 'default';
  };
  const set = <K extends keyof Flags>(key: K, value: Flags[K] | undefined) => {
    if (value !== undefined && unset(key as string)) flags[key] = value;
  };
  set('call', p.aet);
  set('aetitle', p.callingAet);
  set('maxPdu', p.maxPdu);
  set('timeout', p.timeouts?.connect);
  set('acseTimeout', p.timeouts?.acse);
  set('dimseTimeout', p.timeouts?.dimse);
  set('totalTimeout', p.timeouts?.total);
  if (p.tls) {
    set('tls', true);
    set('tlsCa', p.tls.ca);
    set('tlsCert', p.tls.cert);
    set('tlsKey', p.tls.key);
    set('tlsServername', p.tls.servername);
    set('tlsNoVerify', p.tls.noVerify);
  }
  if (!flags.jwtEnv && !flags.jwtFile) {
    set('user', p.user);
    if (!flags.passwordFile && !flags.passwordPrompt) set('passwordEnv', p.passwordEnv);
  }
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  let flags: Flags;
  let args: string[];
  try {
    program.parse(expandGetscuFlags(argv), { from: 'user' });
    flags = program.opts<Flags>();
    // Repeatable options have no default in commander's help; an absent one is an empty list.
    for (const k of ['key', 'patientId', 'study', 'series', 'instance', 'storageClass', 'transferSyntax'] as const) flags[k] ??= [];
    args = program.args;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code)) return EXIT.SUCCESS;
      process.stderr.write(`dcmget: ${err.message.replace(/^error: /, '')} (see dcmget --help)\n`);
      return EXIT.USAGE;
    }
    throw err;
  }
  // no-color.org: NO_COLOR set and not empty turns colour off (chalk alone honours FORCE_COLOR only).
  if (!flags.color || (process.env.NO_COLOR ?? '') !== '') chalk.level = 0;
  const level = logLevelOf(flags);
  const at = (l: LogLevel) => RANK[level] >= RANK[l];
  let bar: ProgressBar | undefined;
  const line = (text: string) => {
    bar?.stop();
    process.stderr.write(`${text}\n`);
  };
  const say = (text: string) => { if (at('info')) line(text); };
  const warn = (text: string) => { if (at('warn')) line(`${chalk.yellow('warning:')} ${text}`); };
  const logger: UlLogger = {
    verbose: at('verbose') ? (m) => line(chalk.dim(m)) : undefined,
    debug: at('debug') ? (m) => line(chalk.dim(m)) : undefined,
  };
  const stdoutJson = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
  try {
    const config = loadConfig(flags.config);
    const named = namedPeer(config, args[0], args[1]);
    if (named) applyNamedPeer(program, flags, named);
    const [peer, portArg, ...queryFiles] = named ? [named.host, String(named.port), ...args.slice(1)] : args;
    // PS3.15 B.9: DICOM over TLS listens on 2762 unless told otherwise.
    const portText = portArg ?? (flags.tls ? String(DICOM_TLS_PORT) : undefined);
    if (!peer) throw new UsageError('missing peer and port: dcmget [options] peer port [query-file...], or a named peer');
    if (!portText || (!named && !/^\d+$/.test(portText) && !flags.tls && args.length < 2)) {
      throw new UsageError(`"${peer}" needs a port (dcmget [options] peer port …), or must be a named peer in ${config.file ?? defaultConfigPath()}`);
    }
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) throw new UsageError(`port must be a whole number from 1 to 65535, not "${portText}"`);
    if (flags.maxPdu !== 0 && flags.maxPdu < 4096) throw new UsageError(`--max-pdu must be 0 (no limit) or at least 4096, not ${flags.maxPdu}`);
    if (flags.json && flags.ndjson) throw new UsageError('choose one of --json (one report at the end) and --ndjson (a line per event)');
    const models = [flags.patientRoot && 'patient', flags.studyRoot && 'study', flags.psonly && 'patient-study-only', flags.model].filter(Boolean) as string[];
    if (models.length > 1) throw new UsageError('choose one information model: -P (patient root), -S (study root), -O (patient/study only) or --model');
    const peerOptions = {
      host: peer, port,
      callingAeTitle: flags.aetitle, calledAeTitle: flags.call,
      maxPduLength: flags.maxPdu,
      connectTimeoutMs: flags.timeout * 1000, acseTimeoutMs: flags.acseTimeout * 1000, dimseTimeoutMs: flags.dimseTimeout * 1000,
      tls: tlsOptions(flags, warn),
      userIdentity: await userIdentity(flags),
      logger,
    };
    if (flags.echo) {
      const r = await echo(peerOptions);
      say(`C-ECHO ${flags.call}@${peer}:${port}: ${paintStatus(r.status, describeStatus(r.status, 'C-ECHO'))} in ${r.elapsedMs.toFixed(0)} ms`);
      if (flags.json || flags.ndjson) stdoutJson({ event: 'echo', status: r.status, statusHex: formatStatus(r.status), elapsedMs: Math.round(r.elapsedMs) });
      return statusCategory(r.status) === 'success' ? EXIT.SUCCESS : EXIT.REFUSED;
    }
    const queryInput: QueryInput = {
      keys: flags.key, queryFiles, queryJson: flags.queryJson, level: flags.level,
      patientIds: flags.patientId, studies: flags.study, series: flags.series, instances: flags.instance, uidsFrom: flags.uidsFrom,
    };
    // Shortcuts without a patient ID fit the study root; getscu's default (patient root) otherwise.
    const model = resolveModel(models[0] ?? (shortcutsWantStudyRoot(queryInput) ? 'study' : 'patient'));
    const identifiers = buildIdentifiers(queryInput, model);
    const extraStorageClasses = [...flags.storageClass.flatMap(resolveStorageClass)];
    const contextSyntaxes = syntaxContexts(flags.transferSyntax, flags.preferUncompressed ?? false);
    const storage = flags.storageConfig ? readStorageConfig(flags.storageConfig) : undefined;
    compileLayout(flags.layout); // a bad template is a usage error before anything connects
    if (flags.dryRun) {
      process.stdout.write(dryRunText(identifiers, model, storage
        ? planContexts([model.get!], storage)
        : previewContexts({ model: model.model, extraStorageClasses, contextSyntaxes }), flags.plan && !storage));
      return EXIT.SUCCESS;
    }
    const run: RunInfo = {
      host: peer, port, callingAeTitle: flags.aetitle, calledAeTitle: flags.call, model: model.model,
      outputDirectory: flags.outputDirectory, startedAt: new Date().toISOString(),
    };
    // A live bar only where a person watches: stderr a terminal, info level, not disabled.
    if (flags.progress && process.stderr.isTTY && level === 'info') bar = new ProgressBar();
    const cancel = new AbortController();
    const abort = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      if (!cancel.signal.aborted) {
        line(chalk.magenta(`${signal}: cancelling (C-CANCEL); files already received stay. ${signal === 'SIGINT' ? 'Ctrl-C' : signal} again aborts at once.`));
        cancel.abort();
      } else {
        abort.abort();
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // Only --json, which reports every file at the end, keeps them all.
    const files: StoredFile[] | undefined = flags.json ? [] : undefined;
    const onEvent = (e: RetrieveEvent) => {
      if (flags.ndjson) {
        const j = eventJson(e);
        if (j) stdoutJson(j);
      }
      switch (e.type) {
        case 'inventory':
          logger.verbose?.(e.sopClasses
            ? `inventory of ${e.request.key}: ${e.studies ?? '?'} study(ies), ${e.series ?? '?'} series, ${e.instances ?? '?'} instance(s), ${e.sopClasses.length} SOP class(es)${e.trusted ? '' : ' (listing not trusted)'}`
            : `inventory of ${e.request.key}: the peer could not say which SOP classes the match holds; proposing the default set`);
          break;
        case 'associated': {
          logger.verbose?.(`presentation contexts:\n${contextTable(e.contexts)}`);
          const storage = e.contexts.filter((c) => c.accepted && c.abstractSyntax !== model.get);
          const noRole = storage.filter((c) => !c.scpRole);
          // PS3.7 D.3.3.4: without the SCP role no C-STORE may arrive on a context (some peers send anyway).
          if (noRole.length && noRole.length === storage.length) warn('the peer granted the SCP role on no storage context: it may send no instance (-v shows the table)');
          else if (noRole.length) logger.verbose?.(`${noRole.length} storage context(s) accepted without the SCP role: no sub-operation should arrive on them`);
          break;
        }
        case 'pending': {
          if (bar) bar.pending(e.counters);
          else if (at('info')) say(pendingLine(e.status, e.counters));
          break;
        }
        case 'stored':
          files?.push(e.file);
          bar?.storedInstance(e.file.dataSetBytes);
          logger.verbose?.(`stored ${e.file.path} (${e.file.dataSetBytes} bytes)`);
          break;
        case 'failed':
          warn(`sub-operation for ${e.failure.sopInstanceUid || '(no UID)'} answered ${formatStatus(e.failure.status)}: ${e.failure.message}`);
          break;
        default:
          break;
      }
    };
    let result: RetrieveResult;
    try {
      result = await retrieve({
        ...peerOptions,
        model: model.model,
        identifiers,
        outputDirectory: flags.outputDirectory,
        plan: flags.plan,
        retry: flags.retry,
        parallel: flags.parallel,
        storage,
        extraStorageClasses,
        contextSyntaxes,
        relational: flags.relational ?? false,
        layout: flags.layout,
        onExists: flags.onExists,
        ignore: flags.ignore ?? false,
        fsync: flags.fsync ?? false,
        cancelAfter: flags.cancelAfter,
        ledgerFile: flags.ledger,
        shard: flags.shard,
        totalTimeoutMs: flags.totalTimeout * 1000,
        cancelSignal: cancel.signal,
        abortSignal: abort.signal,
        warn,
        onEvent,
      });
    } finally {
      bar?.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    const expectations = { count: flags.expectCount, min: flags.expectMin };
    const code = exitCodeFor(result, expectations);
    const unmet = unmetExpectations(result, expectations);
    const notes = ledgerNotes(result);
    const lines = summaryLines(result, flags.outputDirectory, flags.ignore ?? false);
    for (const l of lines.slice(0, -1)) (code === EXIT.SUCCESS ? say : line)(l);
    for (const n of notes) warn(n);
    for (const u of unmet) line(chalk.red(`error: ${u}`));
    say(lines.at(-1)!);
    if (result.hint) say(chalk.dim(`hint: ${result.hint}`));
    if (flags.json) stdoutJson(resultJson(result, run, code, [...notes, ...unmet], files));
    if (flags.ndjson) stdoutJson({ event: 'summary', ...resultJson(result, run, code, [...notes, ...unmet], undefined) });
    return code;
  } catch (err) {
    bar?.stop();
    const code = exitCodeForError(err);
    const message = (err as Error).message ?? String(err);
    line(`dcmget: ${chalk.red(code === EXIT.USAGE ? message : `error: ${message}`)}`);
    if (at('debug') && err instanceof Error && err.stack) line(err.stack);
    if (flags.json || flags.ndjson) stdoutJson({ event: 'error', exitCode: code, error: { type: (err as Error).name ?? 'Error', message } });
    return code;
  }
}
