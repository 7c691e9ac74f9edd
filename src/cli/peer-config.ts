// Named peers: `dcmget pacs1 --study 1.2.3` with pacs1 described in a config file
// (--config FILE, else $DCMGET_CONFIG, else ~/.config/dcmget/config.json, honouring
// $XDG_CONFIG_HOME). Flags on the command line win, then DCMGET_* environment variables, then the
// named peer, then the defaults.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../dicom/usage-error.ts';

export interface NamedPeer {
  host: string;
  port: number;
  /** The peer's AE title (--call). */
  aet?: string | undefined;
  /** Our AE title towards this peer (--aetitle). */
  callingAet?: string | undefined;
  maxPdu?: number | undefined;
  timeouts?: { connect?: number; acse?: number; dimse?: number; total?: number } | undefined;
  tls?: { ca?: string; cert?: string; key?: string; servername?: string; noVerify?: boolean } | undefined;
  /** User Identity: a username, with the password read from this environment variable. */
  user?: string | undefined;
  passwordEnv?: string | undefined;
}

export interface Config {
  file: string | undefined;
  peers: Record<string, NamedPeer>;
}

export function defaultConfigPath(): string {
  const base = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'dcmget', 'config.json');
}

export function loadConfig(explicit: string | undefined): Config {
  const file = explicit ?? process.env.DCMGET_CONFIG ?? defaultConfigPath();
  if (!fs.existsSync(file)) {
    if (explicit || process.env.DCMGET_CONFIG) throw new UsageError(`config file ${file} does not exist`);
    return { file: undefined, peers: {} };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`config file ${file}: ${(err as Error).message}`);
  }
  const peers = (parsed as { peers?: unknown })?.peers ?? {};
  if (typeof peers !== 'object' || peers === null || Array.isArray(peers)) throw new UsageError(`config file ${file}: "peers" is an object of named peers`);
  for (const [name, p] of Object.entries(peers as Record<string, unknown>)) validatePeer(file, name, p);
  return { file, peers: peers as Record<string, NamedPeer> };
}

function validatePeer(file: string, name: string, p: unknown): void {
  const where = `config file ${file}, peer "${name}"`;
  if (typeof p !== 'object' || p === null) throw new UsageError(`${where}: an object with host and port`);
  const peer = p as Record<string, unknown>;
  if (typeof peer.host !== 'string' || !peer.host) throw new UsageError(`${where}: "host" is missing`);
  if (!Number.isInteger(peer.port) || (peer.port as number) < 1 || (peer.port as number) > 65535) throw new UsageError(`${where}: "port" must be 1..65535`);
  for (const k of ['aet', 'callingAet'] as const) {
    const v = peer[k];
    if (v !== undefined && (typeof v !== 'string' || !v.trim() || v.length > 16)) throw new UsageError(`${where}: "${k}" is an AE title of 1 to 16 characters`);
  }
  if ('password' in peer) throw new UsageError(`${where}: no "password" in a config file; use "passwordEnv" to name an environment variable`);
}

/** The named peer, if `name` is one and the command line gave no port. */
export function namedPeer(config: Config, name: string | undefined, port: string | undefined): NamedPeer | undefined {
  if (!name || (port !== undefined && /^\d+$/.test(port))) return undefined;
  return config.peers[name];
}
