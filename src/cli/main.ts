// dcmget [options] peer port [query-file...]: the getscu-style command line.
import dns from 'node:dns';
import net from 'node:net';
import { chalkStderr as chalk } from 'chalk';
import { UsageError } from '../dicom/usage-error.ts';
import { describeStatus, formatStatus, statusCategory } from '../dimse/status.ts';
import { ConnectionError } from '../ul/errors.ts';
import { echo, previewContexts, resolveModel, type MoveOptions, type PeerOptions } from '../retrieve/retrieve.ts';
import { planContexts } from '../retrieve/presentation-contexts.ts';
import { compileLayout } from '../output/output-layout.ts';
import type { Command } from 'commander';
import { errorEvent, type CommandLine } from './command-line.ts';
import { makeConsole, type Console } from './console.ts';
import { EXIT } from './exit-codes.ts';
import { exitCodeForError } from './exit-status.ts';
import type { GetscuSettings } from './getscu-options.ts';
import type { Output } from './output-streams.ts';
import type { Flags, LogLevel } from './program.ts';
import { buildIdentifiers, shortcutsWantStudyRoot, type QueryInput } from './query.ts';
import { readStorageConfig, resolveStorageClass, syntaxContexts } from './storage-flags.ts';
import { dryRunText } from './dry-run.ts';
import { DICOM_TLS_PORT, tlsOptions, userIdentity } from './security-flags.ts';
import { defaultConfigPath, loadConfig, namedPeer, type NamedPeer } from './peer-config.ts';
import { paintStatus } from './report.ts';
import { runRetrieve } from './run-retrieve.ts';
import { nowMs } from '../retrieve/clock.ts';

export { ledgerNotes } from './run-retrieve.ts';

function logLevelOf(flags: Flags): LogLevel {
  return flags.logLevel ?? (flags.debug ? 'debug' : flags.verbose ? 'verbose' : flags.quiet ? 'error' : 'info');
}

/**
 * Runs what a valid command line asks for (run.ts parsed it: --help, --version and usage errors
 * never load this module) and says the exit code.
 */
export async function main(cmd: CommandLine, outputs: { stdout: Output; stderr: Output }): Promise<number> {
  const { flags } = cmd;
  // no-color.org: NO_COLOR set and not empty turns colour off (chalk alone honours FORCE_COLOR only).
  if (!flags.color || (process.env.NO_COLOR ?? '') !== '') chalk.level = 0;
  const ui = makeConsole(logLevelOf(flags), outputs.stdout, outputs.stderr);
  try {
    return await runCommand(cmd, ui);
  } catch (err) {
    const code = exitCodeForError(err);
    const message = (err as Error).message ?? String(err);
    ui.line(`dcmget: ${chalk.red(code === EXIT.USAGE ? message : `error: ${message}`)}`);
    if (ui.at('debug') && err instanceof Error && err.stack) ui.line(err.stack);
    if (flags.json || flags.ndjson) ui.json(errorEvent(code, err));
    return code;
  }
}

async function runCommand(cmd: CommandLine, ui: Console): Promise<number> {
  const { flags, translation } = cmd;
  const settings = translation.settings;
  // getscu --arguments prints at any log level.
  if (settings.printArguments) ui.line(`calling 'dcmget' with ${translation.expanded.length} arguments: ${translation.expanded.map((a) => `'${a}'`).join(' ')}`);
  for (const note of translation.notes) ui.logger.verbose?.(note);
  const peer = resolvePeer(cmd);
  if (flags.maxPdu !== 0 && flags.maxPdu < 4096) throw new UsageError(`--max-pdu must be 0 (no limit) or at least 4096, not ${flags.maxPdu}`);
  if (flags.json && flags.ndjson) throw new UsageError('choose one of --json (one report at the end) and --ndjson (a line per event)');
  const models = [flags.patientRoot && 'patient', flags.studyRoot && 'study', flags.psonly && 'patient-study-only', flags.model].filter(Boolean) as string[];
  if (models.length > 1) throw new UsageError('choose one information model: -P (patient root), -S (study root), -O (patient/study only) or --model');
  const peerOptions: PeerOptions = {
    host: peer.host, port: peer.port,
    callingAeTitle: flags.aetitle, calledAeTitle: flags.call,
    maxPduLength: flags.maxPdu,
    connectTimeoutMs: flags.timeout * 1000, acseTimeoutMs: flags.acseTimeout * 1000, dimseTimeoutMs: flags.dimseTimeout * 1000,
    tls: tlsOptions(flags, ui.warn, { crl: settings.crl, noSni: settings.noSni }),
    userIdentity: await userIdentity(flags),
    logger: ui.logger,
  };
  if (flags.echo) return runEcho(await onFamily(peerOptions, settings), flags, ui);
  const queryInput: QueryInput = {
    keys: flags.key, queryFiles: peer.queryFiles, queryJson: flags.queryJson, level: flags.level,
    patientIds: flags.patientId, studies: flags.study, series: flags.series, instances: flags.instance, uidsFrom: flags.uidsFrom,
    repeat: settings.repeat,
  };
  // Shortcuts without a patient ID fit the study root; getscu's default (patient root) otherwise.
  const move = moveOptionsOf(flags, peer.aet);
  const via = flags.via ?? (move ? 'auto' : 'get');
  const model = resolveModel(models[0] ?? (shortcutsWantStudyRoot(queryInput) ? 'study' : 'patient'), via);
  const identifiers = buildIdentifiers(queryInput, model);
  const extraStorageClasses = [...flags.storageClass.flatMap(resolveStorageClass)];
  const contextSyntaxes = syntaxContexts(flags.transferSyntax, flags.preferUncompressed ?? false);
  const storage = flags.storageConfig ? readStorageConfig(flags.storageConfig) : undefined;
  compileLayout(flags.layout); // a bad template is a usage error before anything connects
  const getTransferSyntaxes = settings.getSyntaxes;
  if (flags.dryRun) {
    // A C-MOVE association proposes the MOVE class alone: the C-STOREs come to the Storage SCP.
    const plan = via === 'move' || !model.get ? planContexts([model.move!], [], getTransferSyntaxes)
      : storage ? planContexts([model.get], storage, getTransferSyntaxes)
        : previewContexts({ model: model.model, extraStorageClasses, contextSyntaxes, getTransferSyntaxes });
    ui.stdout.write(dryRunText(identifiers, model, plan, flags.plan && !storage && via !== 'move'));
    return EXIT.SUCCESS;
  }
  return runRetrieve({
    flags, ui, model, verbosePc: settings.verbosePc ?? false,
    run: {
      host: peer.host, port: peer.port, callingAeTitle: flags.aetitle, calledAeTitle: flags.call, model: model.model,
      outputDirectory: flags.outputDirectory, startedAt: new Date().toISOString(), startedMs: nowMs(),
      move: move && via !== 'get' ? { aeTitle: move.aeTitle ?? flags.aetitle, port: move.port, listenAddress: move.listenAddress ?? null } : undefined,
    },
    options: {
      ...await onFamily(peerOptions, settings),
      via, move,
      model: model.model, identifiers, outputDirectory: flags.outputDirectory,
      plan: flags.plan, retry: flags.retry, parallel: flags.parallel,
      storage, extraStorageClasses, contextSyntaxes, getTransferSyntaxes,
      relational: flags.relational ?? false,
      layout: flags.layout, onExists: flags.onExists, ignore: flags.ignore ?? false, fsync: flags.fsync ?? false,
      cancelAfter: flags.cancelAfter, ledgerFile: flags.ledger, shard: flags.shard, totalTimeoutMs: flags.totalTimeout * 1000,
    },
  });
}

/**
 * --port, --move, --listen-address, --move-peer-host, --move-peer-aet: dcmget's Storage SCP for
 * C-MOVE; a named peer's "aet" is the AE title the PACS calls with unless --move-peer-aet says otherwise.
 */
function moveOptionsOf(flags: Flags, namedAet: string | undefined): MoveOptions | undefined {
  const given = flags.port !== undefined || flags.move !== undefined || flags.listenAddress !== undefined || flags.movePeerHost.length > 0 || flags.movePeerAet !== undefined;
  if (!given) {
    if (flags.via === 'move' || flags.via === 'auto') throw new UsageError(`--via ${flags.via} needs --port: the port dcmget's Storage SCP listens on for the PACS's C-STOREs (movescu's +P)`);
    return undefined;
  }
  if (flags.port === undefined) throw new UsageError('the C-MOVE options need --port: the port dcmget\'s Storage SCP listens on for the PACS\'s C-STOREs (movescu\'s +P)');
  return {
    aeTitle: flags.move, port: flags.port, listenAddress: flags.listenAddress,
    peerHosts: flags.movePeerHost, peerAeTitle: flags.movePeerAet ?? namedAet,
  };
}

/** Peer, port and query files from the words of the command line, or from a named peer. */
function resolvePeer(cmd: CommandLine): { host: string; port: number; queryFiles: string[]; aet: string | undefined } {
  const { program, flags, args } = cmd;
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
  return { host: peer, port, queryFiles, aet: named?.aet };
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
    if (!flags.tlsCa?.length && p.tls.ca) flags.tlsCa = [p.tls.ca];
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

/**
 * getscu -i4 / -i6: the peer's address of that family, looked up here; the name stays the one
 * TLS checks the certificate against.
 */
async function onFamily(peer: PeerOptions, settings: GetscuSettings): Promise<PeerOptions> {
  const family = settings.family;
  if (!family) return peer;
  const given = net.isIP(peer.host);
  if (given) {
    if (given !== family) throw new ConnectionError(`${peer.host} is not an IPv${family} address (getscu -i${family})`);
    return peer;
  }
  try {
    const { address } = await dns.promises.lookup(peer.host, { family });
    const tls = peer.tls && peer.tls.servername === undefined ? { ...peer.tls, servername: peer.host } : peer.tls;
    return { ...peer, host: address, tls };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConnectionError(`no IPv${family} address for ${peer.host} (getscu -i${family}): ${code ?? (err as Error).message}`, code);
  }
}

async function runEcho(peer: PeerOptions, flags: Flags, ui: Console): Promise<number> {
  const r = await echo(peer);
  ui.say(`C-ECHO ${flags.call}@${peer.host}:${peer.port}: ${paintStatus(r.status, describeStatus(r.status, 'C-ECHO'))} in ${r.elapsedMs.toFixed(0)} ms`);
  if (flags.json || flags.ndjson) ui.json({ event: 'echo', status: r.status, statusHex: formatStatus(r.status), elapsedMs: Math.round(r.elapsedMs) });
  return statusCategory(r.status) === 'success' ? EXIT.SUCCESS : EXIT.REFUSED;
}
