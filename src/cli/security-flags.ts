// --tls… and --user…: TLS (PS3.15 B.9, the BCP 195 profile) and User Identity Negotiation
// (PS3.7 D.3.3.7). Secrets come from the environment, a file or a prompt, never from argv, and
// are never logged or reported.
import fs from 'node:fs';
import type tls from 'node:tls';
import { UsageError } from '../dicom/usage-error.ts';
import type { UserIdentityRq } from '../ul/pdu-types.ts';

/** PS3.15 B.9 / RFC 9325: TLS 1.2 with forward-secret AEAD suites only; TLS 1.3 suites as Node has them. */
export const BCP195_TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256', 'DHE-RSA-AES256-GCM-SHA384',
].join(':');

/** PS3.15 B.9: the well-known port for DICOM over TLS. */
export const DICOM_TLS_PORT = 2762;

export interface TlsFlags {
  tls?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string[];
  tlsNoVerify?: boolean;
  tlsServername?: string;
}

function readFile(flag: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new UsageError(`${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** What getscu's TLS options add that no dcmget flag carries (getscu-options.ts). */
export interface TlsExtras {
  /** +crl: PEM certificate revocation lists. */
  crl?: string[] | undefined;
  /** --no-sni: no Server Name Indication. */
  noSni?: boolean | undefined;
}

export function tlsOptions(f: TlsFlags, warn: (m: string) => void, extras: TlsExtras = {}): tls.ConnectionOptions | undefined {
  const any = f.tlsCert || f.tlsKey || f.tlsCa?.length || f.tlsNoVerify || f.tlsServername || extras.crl?.length || extras.noSni;
  if (!f.tls) {
    if (any) throw new UsageError('--tls-cert, --tls-key, --tls-ca, --tls-servername and --tls-no-verify (getscu: +cf, +cd, +crl, -ic, --request-sni, --no-sni) need --tls (getscu: +tls or +tla)');
    return undefined;
  }
  if (!!f.tlsCert !== !!f.tlsKey) throw new UsageError('give --tls-cert and --tls-key together (our certificate and its private key)');
  if (f.tlsNoVerify) warn('--tls-no-verify: the peer\'s certificate is NOT checked; anyone on the path can pose as the PACS and read what it sends');
  return {
    minVersion: 'TLSv1.2',
    ciphers: BCP195_TLS12_CIPHERS,
    rejectUnauthorized: !f.tlsNoVerify,
    ...(f.tlsCa?.length ? { ca: f.tlsCa.map((file) => readFile('--tls-ca', file)) } : {}),
    ...(f.tlsCert ? { cert: readFile('--tls-cert', f.tlsCert), key: readFile('--tls-key', f.tlsKey!) } : {}),
    ...(extras.crl?.length ? { crl: extras.crl.map((file) => readFile('+crl', file)) } : {}),
    // An empty server name sends no SNI; the certificate is then checked against the peer as given.
    ...(extras.noSni ? { servername: '' } : f.tlsServername ? { servername: f.tlsServername } : {}),
  };
}

/** getscu +ph and +cc: the profile and the suites dcmget offers (TLS 1.3 suites are Node's). */
export function tlsListing(what: 'ciphers' | 'profiles'): string {
  if (what === 'profiles') return 'BCP 195 RFC 8996 TLS Profile (the only one; getscu\'s default, +pg): TLS 1.2 or later, forward-secret AEAD suites (PS3.15 B.9)\n';
  const tls13 = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'];
  return `${[...BCP195_TLS12_CIPHERS.split(':').map((c) => `TLS 1.2  ${c}`), ...tls13.map((c) => `TLS 1.3  ${c}`)].join('\n')}\n`;
}

export interface IdentityFlags {
  user?: string;
  passwordEnv?: string;
  passwordFile?: string;
  passwordPrompt?: boolean;
  jwtEnv?: string;
  jwtFile?: string;
  identityResponse?: boolean;
}

function secretFromEnv(flag: string, name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new UsageError(`${flag} ${name}: that environment variable is not set`);
  return v;
}

function secretFromFile(flag: string, file: string): string {
  return readFile(flag, file).toString('utf8').replace(/\r?\n$/, '');
}

/** Reads a line from the terminal without echoing it. */
export async function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new UsageError('--password-prompt needs a terminal; use --password-env VAR or --password-file FILE in scripts');
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  let answer = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      const onData = (d: Buffer) => {
        for (const ch of d.toString('utf8')) {
          if (ch === '\r' || ch === '\n') { stdin.off('data', onData); resolve(answer); return; }
          if (ch === '\u0003') { stdin.off('data', onData); reject(new UsageError('password prompt interrupted')); return; }
          if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
          else answer += ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

/** PS3.7 D.3.3.7.1: 1 username, 2 username and passcode, 5 JSON Web Token. */
export async function userIdentity(f: IdentityFlags): Promise<UserIdentityRq | undefined> {
  const passwordSources = [f.passwordEnv, f.passwordFile, f.passwordPrompt].filter(Boolean).length;
  const jwtSources = [f.jwtEnv, f.jwtFile].filter(Boolean).length;
  if (passwordSources > 1) throw new UsageError('give the password one way: --password-env, --password-file or --password-prompt');
  if (jwtSources > 1) throw new UsageError('give the token one way: --jwt-env or --jwt-file');
  if (jwtSources && (f.user || passwordSources)) throw new UsageError('a JSON Web Token (--jwt-…) replaces --user and the password');
  if (passwordSources && !f.user) throw new UsageError('a password needs --user');
  const positiveResponseRequested = f.identityResponse ?? false;
  if (jwtSources) {
    const token = f.jwtEnv ? secretFromEnv('--jwt-env', f.jwtEnv) : secretFromFile('--jwt-file', f.jwtFile!);
    return { type: 5, positiveResponseRequested, primaryField: Buffer.from(token, 'utf8'), secondaryField: Buffer.alloc(0) };
  }
  if (!f.user) return undefined;
  if (Buffer.byteLength(f.user) > 0xffff) throw new UsageError('--user is too long');
  if (!passwordSources) return { type: 1, positiveResponseRequested, primaryField: Buffer.from(f.user, 'utf8'), secondaryField: Buffer.alloc(0) };
  const password = f.passwordEnv
    ? secretFromEnv('--password-env', f.passwordEnv)
    : f.passwordFile ? secretFromFile('--password-file', f.passwordFile) : await promptHidden(`password for ${f.user}: `);
  return { type: 2, positiveResponseRequested, primaryField: Buffer.from(f.user, 'utf8'), secondaryField: Buffer.from(password, 'utf8') };
}
