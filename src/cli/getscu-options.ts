// Every option of DCMTK getscu 3.6.7, and those 3.6.9 added (-i4/-i6/-i0 and the TLS options of
// dcmtls), with what dcmget does with it. docs/getscu.md is this table for people; a unit test
// checks that the two list the same options, and test/integration/getscu-table.test.ts runs
// every row of the document.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../dicom/usage-error.ts';

/**
 * same: dcmget does what getscu does. accepted: getscu's default, or nothing to do in dcmget
 * (said under -v). mapped: dcmget's own equivalent (said under -v). refused: exit 2, one line
 * that names the getscu option and what to use instead.
 */
export type Outcome = 'same' | 'accepted' | 'mapped' | 'refused';

/** What getscu options set that no dcmget flag carries. */
export interface GetscuSettings {
  /** --arguments: print the expanded command line. */
  printArguments?: boolean;
  /** +v: the negotiated presentation contexts at the default log level. */
  verbosePc?: boolean;
  /** -i4/-i6/-i0: the address family of the peer (0: whichever the name resolves to). */
  family?: 0 | 4 | 6;
  /** -xi, -xb: the transfer syntaxes of the C-GET context. */
  getSyntaxes?: string[];
  /** --repeat n: every C-GET n times over the association. */
  repeat?: number;
  /** +crl: certificate revocation lists (PEM). */
  crl: string[];
  /** --no-sni: no Server Name Indication. */
  noSni?: boolean;
  /** +cc, +ph: print this on stdout and exit 0. */
  print?: 'ciphers' | 'profiles';
}

export interface GetscuOption {
  /** getscu's spellings, short first. */
  spellings: readonly string[];
  /** How many arguments follow it. */
  values: number;
  outcome: Outcome;
  /** The dcmget arguments it becomes; without it, the spelling and values pass on as they are. */
  becomes?: (values: string[], settings: GetscuSettings) => string[];
  /** What dcmget does (accepted, mapped: printed under -v), or the refusal (refused). */
  says: string;
}

const EXPLICIT = 'explicit';
const IMPLICIT = 'implicit';
const BIG_ENDIAN = '1.2.840.10008.1.2.2';
const EXPLICIT_UID = '1.2.840.10008.1.2.1';
const IMPLICIT_UID = '1.2.840.10008.1.2';

const to = (...args: string[]) => () => args;
const nothing = () => [];
const set = (f: (s: GetscuSettings, values: string[]) => void) => (values: string[], s: GetscuSettings) => {
  f(s, values);
  return [];
};

/** +x?: the syntax first, in a context of its own, then the uncompressed ones (as --transfer-syntax). */
function prefer(spellings: [string, string], syntax: string, what: string): GetscuOption {
  return {
    spellings, values: 0, outcome: 'mapped',
    becomes: to('--transfer-syntax', syntax, '--transfer-syntax', EXPLICIT, '--transfer-syntax', IMPLICIT),
    says: `${what} proposed first, then explicit and implicit VR little endian, each in a presentation context of its own (--transfer-syntax ${syntax} --transfer-syntax explicit --transfer-syntax implicit)`,
  };
}

const UNCOMPRESSED_DEFAULT = 'dcmget\'s default: each instance comes in the syntax the PACS stores it in, uncompressed contexts first (--prefer-uncompressed has a transcoding PACS decompress)';
const GET_DEFAULT = 'dcmget proposes explicit, then implicit VR little endian for the C-GET (explicit big endian is retired, PS3.5 A.3)';
const ONE_PROFILE = 'is a TLS profile dcmget does not speak: dcmget speaks the BCP 195 RFC 8996 profile only (TLS 1.2 or later, forward-secret AEAD suites; getscu\'s default, +pg): leave it out';
const PLAIN_KEYS = 'dcmget reads unencrypted PEM keys only and takes no password from the command line or a prompt: decrypt the key once (openssl pkey -in KEY -out key.pem) and give that';

function refused(spellings: string[], values: number, says: string): GetscuOption {
  return { spellings, values, outcome: 'refused', says };
}

function positiveInteger(option: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`getscu's ${option} takes a whole number of at least 1, not "${value}"`);
  return Number(value);
}

/** +cd: the files of a folder that hold a PEM certificate. */
function certificateFiles(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch (err) {
    throw new UsageError(`getscu's +cd ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const files = names.map((n) => path.join(dir, n)).filter((f) => {
    try {
      return fs.statSync(f).isFile() && fs.readFileSync(f, 'latin1').includes('-----BEGIN CERTIFICATE-----');
    } catch {
      return false;
    }
  });
  if (files.length === 0) throw new UsageError(`getscu's +cd ${dir}: no PEM certificate in that folder`);
  return files;
}

export const GETSCU_OPTIONS: readonly GetscuOption[] = [
  // general options
  { spellings: ['-h', '--help'], values: 0, outcome: 'same', says: 'print the help text and exit' },
  { spellings: ['--version'], values: 0, outcome: 'same', says: 'print the version and exit' },
  { spellings: ['--arguments'], values: 0, outcome: 'same', becomes: set((s) => { s.printArguments = true; }), says: 'print the expanded command line arguments' },
  { spellings: ['-q', '--quiet'], values: 0, outcome: 'same', says: 'errors only' },
  { spellings: ['-v', '--verbose'], values: 0, outcome: 'same', says: 'processing details' },
  { spellings: ['-d', '--debug'], values: 0, outcome: 'same', says: 'debug information' },
  {
    spellings: ['-ll', '--log-level'], values: 1, outcome: 'same', becomes: (v) => ['--log-level', v[0]!],
    says: 'getscu\'s levels fatal, error, warn, info, debug, trace (fatal is dcmget\'s error level, trace its debug level), and dcmget\'s verbose',
  },
  refused(['-lc', '--log-config'], 1, 'dcmget has no log4cplus configuration: use --log-level LEVEL, 2>>FILE to keep the log, or --ndjson for a machine-readable one'),
  {
    spellings: ['+v', '--verbose-pc'], values: 0, outcome: 'mapped', becomes: set((s) => { s.verbosePc = true; }),
    says: 'the negotiated presentation contexts are printed at the default log level (getscu needs -v too; dcmget\'s -v prints them anyway)',
  },
  // network options
  { spellings: ['-k', '--key'], values: 1, outcome: 'same', says: 'override a matching key (also Keyword=value and Sequence[0].Keyword=value)' },
  { spellings: ['-P', '--patient'], values: 0, outcome: 'same', becomes: to('--patient-root'), says: 'Patient Root model (dcmget\'s --patient-root)' },
  {
    spellings: ['-S', '--study'], values: 0, outcome: 'same', becomes: to('--study-root'),
    says: 'Study Root model (dcmget\'s --study-root); a word after --study that starts with a digit makes it dcmget\'s --study UID instead, unless peer and port then go missing',
  },
  { spellings: ['-O', '--psonly'], values: 0, outcome: 'same', says: 'Patient/Study Only model' },
  { spellings: ['-i4', '--ipv4'], values: 0, outcome: 'same', becomes: set((s) => { s.family = 4; }), says: 'connect over IPv4 only (dcmget\'s default: the first address the name resolves to)' },
  { spellings: ['-i6', '--ipv6'], values: 0, outcome: 'same', becomes: set((s) => { s.family = 6; }), says: 'connect over IPv6 only' },
  { spellings: ['-i0', '--ip-auto'], values: 0, outcome: 'accepted', becomes: set((s) => { s.family = 0; }), says: 'dcmget\'s default: the address family the name resolves to' },
  { spellings: ['-aet', '--aetitle'], values: 1, outcome: 'same', becomes: (v) => ['--aetitle', v[0]!], says: 'our calling AE title (dcmget\'s default DCMGET, getscu\'s GETSCU)' },
  { spellings: ['-aec', '--call'], values: 1, outcome: 'same', becomes: (v) => ['--call', v[0]!], says: 'the called AE title of the peer' },
  { spellings: ['+x=', '--prefer-uncompr'], values: 0, outcome: 'accepted', becomes: nothing, says: UNCOMPRESSED_DEFAULT },
  { spellings: ['+xe', '--prefer-little'], values: 0, outcome: 'accepted', becomes: nothing, says: UNCOMPRESSED_DEFAULT },
  prefer(['+xb', '--prefer-big'], 'big-endian', 'explicit VR big endian'),
  prefer(['+xs', '--prefer-lossless'], 'jpeg-lossless-sv1', 'JPEG lossless (SV1)'),
  prefer(['+xy', '--prefer-jpeg8'], 'jpeg-baseline', 'JPEG baseline (8 bit)'),
  prefer(['+xx', '--prefer-jpeg12'], 'jpeg-extended', 'JPEG extended (12 bit)'),
  prefer(['+xv', '--prefer-j2k-lossless'], 'j2k-lossless', 'JPEG 2000 lossless'),
  prefer(['+xw', '--prefer-j2k-lossy'], 'j2k', 'JPEG 2000'),
  prefer(['+xt', '--prefer-jls-lossless'], 'jpeg-ls-lossless', 'JPEG-LS lossless'),
  prefer(['+xu', '--prefer-jls-lossy'], 'jpeg-ls-near-lossless', 'JPEG-LS near-lossless'),
  prefer(['+xm', '--prefer-mpeg2'], 'mpeg2-mp-ml', 'MPEG2 Main Profile @ Main Level'),
  prefer(['+xh', '--prefer-mpeg2-high'], 'mpeg2-mp-hl', 'MPEG2 Main Profile @ High Level'),
  prefer(['+xn', '--prefer-mpeg4'], 'mpeg4-hp41', 'MPEG-4 AVC/H.264 HP / Level 4.1'),
  prefer(['+xl', '--prefer-mpeg4-bd'], 'mpeg4-hp41-bd', 'MPEG-4 AVC/H.264 BD-compatible HP / Level 4.1'),
  prefer(['+x2', '--prefer-mpeg4-2-2d'], 'mpeg4-hp42-2d', 'MPEG-4 AVC/H.264 HP / Level 4.2 (2D)'),
  prefer(['+x3', '--prefer-mpeg4-2-3d'], 'mpeg4-hp42-3d', 'MPEG-4 AVC/H.264 HP / Level 4.2 (3D)'),
  prefer(['+xo', '--prefer-mpeg4-2-st'], 'mpeg4-hp42-stereo', 'MPEG-4 AVC/H.264 Stereo HP / Level 4.2'),
  prefer(['+x4', '--prefer-hevc'], 'hevc-mp51', 'HEVC/H.265 Main Profile / Level 5.1'),
  prefer(['+x5', '--prefer-hevc10'], 'hevc-m10p51', 'HEVC/H.265 Main 10 Profile / Level 5.1'),
  prefer(['+xr', '--prefer-rle'], 'rle', 'RLE lossless'),
  prefer(['+xd', '--prefer-deflated'], 'deflated', 'deflated explicit VR little endian'),
  {
    spellings: ['+xi', '--implicit'], values: 0, outcome: 'same', becomes: to('--transfer-syntax', IMPLICIT),
    says: 'accept implicit VR little endian only (--transfer-syntax implicit)',
  },
  { spellings: ['-x=', '--propose-uncompr'], values: 0, outcome: 'accepted', becomes: nothing, says: GET_DEFAULT },
  { spellings: ['-xe', '--propose-little'], values: 0, outcome: 'accepted', becomes: nothing, says: GET_DEFAULT },
  {
    spellings: ['-xb', '--propose-big'], values: 0, outcome: 'same', becomes: set((s) => { s.getSyntaxes = [BIG_ENDIAN, EXPLICIT_UID, IMPLICIT_UID]; }),
    says: 'the C-GET context proposes explicit VR big endian first, then explicit and implicit VR little endian',
  },
  refused(['-xd', '--propose-deflated'], 0, 'dcmget sends its Identifier (a few hundred bytes) uncompressed: leave it out, or use -xe'),
  {
    spellings: ['-xi', '--propose-implicit'], values: 0, outcome: 'same', becomes: set((s) => { s.getSyntaxes = [IMPLICIT_UID]; }),
    says: 'the C-GET context proposes implicit VR little endian only',
  },
  { spellings: ['-to', '--timeout'], values: 1, outcome: 'same', becomes: (v) => ['--timeout', v[0]!], says: 'TCP connection timeout (dcmget\'s default 30 s; getscu\'s unlimited)' },
  { spellings: ['-ta', '--acse-timeout'], values: 1, outcome: 'same', becomes: (v) => ['--acse-timeout', v[0]!], says: 'association negotiation and release timeout' },
  { spellings: ['-td', '--dimse-timeout'], values: 1, outcome: 'same', becomes: (v) => ['--dimse-timeout', v[0]!], says: 'longest silence during an operation' },
  { spellings: ['-pdu', '--max-pdu'], values: 1, outcome: 'same', becomes: (v) => ['--max-pdu', v[0]!], says: 'our maximum receive PDU length (dcmget takes up to 4294967295, or 0 for no limit)' },
  {
    spellings: ['--repeat'], values: 1, outcome: 'same', becomes: (v, s) => { s.repeat = positiveInteger('--repeat', v[0]!); return []; },
    says: 'send every C-GET n times over the one association',
  },
  refused(['--abort'], 0, 'dcmget always ends with A-RELEASE; to stop a retrieve early use --cancel-after N (C-CANCEL), or Ctrl-C'),
  // output options
  { spellings: ['-od', '--output-directory'], values: 1, outcome: 'same', becomes: (v) => ['--output-directory', v[0]!], says: 'where instances are written (dcmget creates it if missing)' },
  { spellings: ['-B', '--normal'], values: 0, outcome: 'accepted', becomes: nothing, says: 'dcmget never holds an instance in memory: each data set streams to disk as it arrives' },
  { spellings: ['+B', '--bit-preserving'], values: 0, outcome: 'accepted', becomes: nothing, says: 'dcmget always stores each data set exactly as received (bit-preserving), streamed to disk' },
  { spellings: ['--ignore'], values: 0, outcome: 'same', says: 'receive and acknowledge, store nothing' },
  // transport layer security (getscu 3.6.9 built with OpenSSL)
  { spellings: ['-tls', '--disable-tls'], values: 0, outcome: 'accepted', becomes: nothing, says: 'dcmget\'s default: plain TCP' },
  {
    spellings: ['+tls', '--enable-tls'], values: 2, outcome: 'mapped', becomes: (v) => ['--tls', '--tls-key', v[0]!, '--tls-cert', v[1]!],
    says: 'TLS with our key and certificate (--tls --tls-key KEY --tls-cert CERT); dcmget also checks that the peer\'s certificate names the host (DCMTK does not)',
  },
  { spellings: ['+tla', '--anonymous-tls'], values: 0, outcome: 'mapped', becomes: to('--tls'), says: 'TLS without a certificate of ours (--tls); dcmget also checks that the peer\'s certificate names the host' },
  refused(['+ps', '--std-passwd'], 0, PLAIN_KEYS),
  refused(['+pw', '--use-passwd'], 1, PLAIN_KEYS),
  { spellings: ['-pw', '--null-passwd'], values: 0, outcome: 'accepted', becomes: nothing, says: 'dcmget reads unencrypted keys, which need no password' },
  { spellings: ['-pem', '--pem-keys'], values: 0, outcome: 'accepted', becomes: nothing, says: 'dcmget\'s only format: PEM' },
  refused(['-der', '--der-keys'], 0, 'dcmget reads PEM only: convert once (openssl x509 -inform der -in CERT -out cert.pem; openssl pkey -inform der -in KEY -out key.pem)'),
  { spellings: ['+cf', '--add-cert-file'], values: 1, outcome: 'same', becomes: (v) => ['--tls-ca', v[0]!], says: 'trust the certificates of this file (--tls-ca FILE, repeatable)' },
  {
    spellings: ['+cd', '--add-cert-dir'], values: 1, outcome: 'mapped', becomes: (v) => certificateFiles(v[0]!).flatMap((f) => ['--tls-ca', f]),
    says: 'trust the certificates of every PEM file in this folder (--tls-ca for each; OpenSSL\'s hashed names are not needed)',
  },
  { spellings: ['+crl', '--add-crl-file'], values: 1, outcome: 'same', becomes: (v, s) => { s.crl.push(v[0]!); return []; }, says: 'check the peer\'s certificates against this certificate revocation list (PEM)' },
  { spellings: ['+crv', '--enable-crl-vfy'], values: 0, outcome: 'mapped', becomes: nothing, says: 'with +crl, Node.js checks every certificate of the chain for which a CRL is given (as +cra)' },
  { spellings: ['+cra', '--enable-crl-all'], values: 0, outcome: 'same', becomes: nothing, says: 'with +crl, every certificate of the chain is checked' },
  { spellings: ['+ph', '--list-profiles'], values: 0, outcome: 'same', becomes: set((s) => { s.print = 'profiles'; }), says: 'list the TLS profiles and exit' },
  { spellings: ['+pg', '--profile-8996'], values: 0, outcome: 'accepted', becomes: nothing, says: 'dcmget\'s only TLS profile: BCP 195 RFC 8996 (TLS 1.2 or later, forward-secret AEAD suites)' },
  refused(['+pm', '--profile-8996-mod'], 0, ONE_PROFILE),
  refused(['+py', '--profile-bcp195-nd'], 0, ONE_PROFILE),
  refused(['+px', '--profile-bcp195'], 0, ONE_PROFILE),
  refused(['+pz', '--profile-bcp195-ex'], 0, ONE_PROFILE),
  refused(['+pb', '--profile-basic'], 0, ONE_PROFILE),
  refused(['+pa', '--profile-aes'], 0, ONE_PROFILE),
  refused(['+pn', '--profile-null'], 0, ONE_PROFILE),
  { spellings: ['+cc', '--list-ciphers'], values: 0, outcome: 'same', becomes: set((s) => { s.print = 'ciphers'; }), says: 'list the TLS cipher suites and exit' },
  refused(['+cs', '--cipher'], 1, 'dcmget negotiates the BCP 195 suites only (+cc lists them) and adds none: leave it out'),
  { spellings: ['--no-sni'], values: 0, outcome: 'mapped', becomes: set((s) => { s.noSni = true; }), says: 'no Server Name Indication (dcmget\'s default sends the host name, as browsers do; getscu sends none)' },
  { spellings: ['--request-sni'], values: 1, outcome: 'mapped', becomes: (v) => ['--tls-servername', v[0]!], says: 'send this server name (--tls-servername NAME); dcmget also checks that the peer\'s certificate carries it' },
  { spellings: ['+rs', '--seed'], values: 1, outcome: 'accepted', becomes: nothing, says: 'OpenSSL in Node.js seeds itself from the operating system; no seed file is read' },
  { spellings: ['+ws', '--write-seed'], values: 0, outcome: 'accepted', becomes: nothing, says: 'no seed file is written (OpenSSL seeds itself from the operating system)' },
  { spellings: ['+wf', '--write-seed-file'], values: 1, outcome: 'accepted', becomes: nothing, says: 'no seed file is written (OpenSSL seeds itself from the operating system)' },
  { spellings: ['-rc', '--require-peer-cert'], values: 0, outcome: 'accepted', becomes: nothing, says: 'dcmget\'s default: the peer\'s certificate is verified' },
  { spellings: ['-ic', '--ignore-peer-cert'], values: 0, outcome: 'mapped', becomes: to('--tls-no-verify'), says: 'the peer\'s certificate is not verified (--tls-no-verify, with a warning)' },
];

export const GETSCU_BY_SPELLING: ReadonlyMap<string, GetscuOption> = new Map(GETSCU_OPTIONS.flatMap((o) => o.spellings.map((s) => [s, o] as const)));
