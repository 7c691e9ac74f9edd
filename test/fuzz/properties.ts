// Issue 6: property-based tests of every decoder that reads bytes from the network, shared by the
// quick unit run (test/unit/fuzz.test.ts) and the long fuzzing run (test/fuzz/run.ts).
//
// What is claimed, for every property below:
// - only typed errors escape a decoder: ProtocolError from the Upper Layer and DIMSE decoders,
//   TruncatedDataSet from the data set walker, a plain Error from the Part 10 reader, nothing at
//   all from the streaming structure check (it reports); never a RangeError, a TypeError, a stack
//   overflow or a hang;
// - nothing allocates a Buffer sized by an unchecked length: Buffer.alloc/allocUnsafe/allocUnsafeSlow
//   and Buffer.concat (whose totalLength may be a counter kept by the caller) are wrapped while a
//   decoder runs, and every request must stay within the decoder's bound (the input's own length,
//   or the parser's maxControlPduLength); an allocation over it is refused, never attempted;
// - the streaming PDU parser gives the same events, and the same error, for any chunking;
// - the streaming structure check of received data sets gives the same verdict for any
//   fragmentation, the verdict of a whole-buffer reference walk (reference-structure.ts), and
//   never passes what dicom/data-set-reader.ts finds cut short;
// - encode → decode is the identity for generated valid PDUs, command sets, data sets and File Meta;
// - mutations of valid vectors (bit flips, truncation, length field corruption, insertions,
//   deletions) yield typed errors only.
import assert from 'node:assert/strict';
import path from 'node:path';
import fc from 'fast-check';

import { decodeAbort, encodeAbort } from '../../src/ul/a-abort.ts';
import { decodeAssociateAc, decodeAssociateRq, encodeAssociateAc, encodeAssociateRq } from '../../src/ul/a-associate.ts';
import { decodeAssociateRj, encodeAssociateRj } from '../../src/ul/a-associate-rj.ts';
import { RELEASE_RP, RELEASE_RQ } from '../../src/ul/a-release.ts';
import { encodePDataTf } from '../../src/ul/p-data-tf.ts';
import { PduParser, decodeControlPdu } from '../../src/ul/pdu-parser.ts';
import {
  PDU_TYPE, type AssociateAc, type AssociateRq, type ControlPdu, type PresentationContextAc,
  type PresentationContextRq, type UserInformation,
} from '../../src/ul/pdu-types.ts';
import { ProtocolError } from '../../src/ul/protocol-error.ts';
import { DimseChannel, type DatasetSink, type DimseHandler } from '../../src/dimse/channel.ts';
import { COMMAND_FIELD } from '../../src/dimse/command-field.ts';
import { NO_DATA_SET, decodeCommandSet, encodeCommandSet, type CommandSet } from '../../src/dimse/command-set.ts';
import { TruncatedDataSet, readStrings, walkDataSet } from '../../src/dicom/data-set-reader.ts';
import { decodeFileMetaInformation, encodeFileMetaInformation, type FileMetaInformation } from '../../src/dicom/part10.ts';
import {
  EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, TRANSFER_SYNTAXES,
} from '../../src/dicom/transfer-syntaxes.ts';
import { DataSetStructure } from '../../src/dicom/data-set-structure.ts';
import { referenceStructure } from './reference-structure.ts';
import { instanceFileName, isValidUid, resolveInside, safeComponent } from '../../src/output/output-path.ts';

// ---------------------------------------------------------------------------------------------
// Instruments

/** A Buffer allocation over the bound under test: thrown instead of allocating (no 4 GB attempt). */
export class AllocationOverBound extends Error {
  readonly size: number;
  constructor(size: number, bound: number) {
    super(`Buffer allocation of ${size} bytes, over the bound of ${bound}`);
    this.name = 'AllocationOverBound';
    this.size = size;
  }
}

/** The largest Buffer allocation requested by the last probed call (for reports). */
export const allocationStats = { largest: 0 };

/**
 * Runs `fn` with Buffer.alloc, allocUnsafe and allocUnsafeSlow wrapped: a request over `bound`
 * throws AllocationOverBound (an untyped error to every property) rather than being attempted.
 */
export function probeAllocations<T>(bound: number, fn: () => T): T {
  const original = { alloc: Buffer.alloc, allocUnsafe: Buffer.allocUnsafe, allocUnsafeSlow: Buffer.allocUnsafeSlow, concat: Buffer.concat };
  let largest = 0;
  const note = (size: number): void => {
    if (size > largest) largest = size;
    if (size > bound) throw new AllocationOverBound(size, bound);
  };
  Buffer.alloc = function (size: number, ...rest: unknown[]) { note(size); return (original.alloc as (...a: unknown[]) => Buffer)(size, ...rest); } as typeof Buffer.alloc;
  Buffer.allocUnsafe = function (size: number) { note(size); return original.allocUnsafe(size); } as typeof Buffer.allocUnsafe;
  Buffer.allocUnsafeSlow = function (size: number) { note(size); return original.allocUnsafeSlow(size); } as typeof Buffer.allocUnsafeSlow;
  Buffer.concat = function (list: readonly Uint8Array[], totalLength?: number) {
    note(totalLength ?? list.reduce((n, b) => n + b.length, 0));
    return original.concat(list, totalLength);
  } as typeof Buffer.concat;
  try {
    return fn();
  } finally {
    Buffer.alloc = original.alloc;
    Buffer.allocUnsafe = original.allocUnsafe;
    Buffer.allocUnsafeSlow = original.allocUnsafeSlow;
    Buffer.concat = original.concat;
    allocationStats.largest = Math.max(allocationStats.largest, largest);
  }
}

type ErrorCheck = (err: unknown) => boolean;
const isProtocolError: ErrorCheck = (err) => err instanceof ProtocolError;
const isTruncatedDataSet: ErrorCheck = (err) => err instanceof TruncatedDataSet;
/** decodeFileMetaInformation documents a plain Error; a RangeError/TypeError is a crash. */
const isPlainError: ErrorCheck = (err) => err instanceof Error && Object.getPrototypeOf(err) === Error.prototype;

function describeError(err: unknown): string {
  return err instanceof Error ? `${err.constructor.name}: ${err.message}\n${err.stack ?? ''}` : String(err);
}

/** Runs `fn` under the allocation probe; returns the typed error it threw, or undefined. */
function onlyTyped(fn: () => unknown, typed: ErrorCheck, bound: number, what: string): Error | undefined {
  try {
    probeAllocations(bound, fn);
    return undefined;
  } catch (err) {
    if (!typed(err)) throw new Error(`${what}: an untyped error escaped: ${describeError(err)}`);
    return err as Error;
  }
}

/** Allocation bound of a decoder given `input`: never more than what was received (plus a header). */
function inputBound(input: Uint8Array): number {
  return input.length + 64;
}

// ---------------------------------------------------------------------------------------------
// Byte-level arbitraries: mutations of valid vectors

/** An offset and width of a length field inside a valid vector: the prime target of corruption. */
export interface LengthField { at: number; size: 2 | 4; le: boolean }
export interface Vector { bytes: Buffer; fields: LengthField[] }

const interestingLength = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff,
    0x10000, 0x100000, 0x100001, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff),
  fc.integer({ min: 0, max: 0xffffffff }),
);

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'byte'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'cut'; index: number; delta: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'repeat'; at: number; count: number }
  | { kind: 'field'; index: number; value: number; delta: number | undefined }
  | { kind: 'raw'; at: number; value: number; size: 2 | 4; le: boolean };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  // Truncation just around a length field: a header cut short is where bounds checks are missed.
  fc.record({ kind: fc.constant('cut' as const), index: fc.nat(), delta: fc.integer({ min: -8, max: 8 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  // A stretch received twice, as from a duplicated P-DATA-TF.
  fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 64 }) }),
  fc.record({
    kind: fc.constant('field' as const), index: fc.nat(), value: interestingLength,
    delta: fc.option(fc.integer({ min: -8, max: 8 }), { nil: undefined }),
  }),
  fc.record({ kind: fc.constant('raw' as const), at: fc.nat(), value: interestingLength, size: fc.constantFrom(2 as const, 4 as const), le: fc.boolean() }),
);

function writeLength(b: Buffer, at: number, size: 2 | 4, le: boolean, value: number): void {
  if (at + size > b.length) return;
  if (size === 2) {
    if (le) b.writeUInt16LE(value & 0xffff, at); else b.writeUInt16BE(value & 0xffff, at);
  } else if (le) b.writeUInt32LE(value >>> 0, at); else b.writeUInt32BE(value >>> 0, at);
}

function readLength(b: Buffer, f: LengthField): number {
  if (f.at + f.size > b.length) return 0;
  return f.size === 2 ? (f.le ? b.readUInt16LE(f.at) : b.readUInt16BE(f.at)) : (f.le ? b.readUInt32LE(f.at) : b.readUInt32BE(f.at));
}

/** Applies the mutations in order; field offsets refer to the vector before the first mutation. */
export function mutate(vector: Vector, mutations: Mutation[]): Buffer {
  let b = Buffer.from(vector.bytes);
  for (const m of mutations) {
    const at = (n: number) => (b.length === 0 ? 0 : n % b.length);
    switch (m.kind) {
      case 'flip': if (b.length) b[at(m.at)]! ^= 1 << m.bit; break;
      case 'byte': if (b.length) b[at(m.at)] = m.value; break;
      case 'truncate': b = b.subarray(0, m.at % (b.length + 1)); break;
      case 'cut': {
        const f = vector.fields.length ? vector.fields[m.index % vector.fields.length]! : undefined;
        if (f) b = b.subarray(0, Math.max(0, Math.min(b.length, f.at + m.delta)));
        break;
      }
      case 'insert': { const p = m.at % (b.length + 1); b = Buffer.concat([b.subarray(0, p), m.bytes, b.subarray(p)]); break; }
      case 'delete': { const p = at(m.at); b = Buffer.concat([b.subarray(0, p), b.subarray(p + m.count)]); break; }
      case 'repeat': { const p = at(m.at); b = Buffer.concat([b.subarray(0, p + m.count), b.subarray(p)]); break; }
      case 'field': {
        const f = vector.fields.length ? vector.fields[m.index % vector.fields.length]! : undefined;
        if (!f) break;
        const value = m.delta === undefined ? m.value : readLength(b, f) + m.delta;
        writeLength(b, f.at, f.size, f.le, value);
        break;
      }
      case 'raw': if (b.length) writeLength(b, at(m.at), m.size, m.le, m.value); break;
    }
  }
  return b;
}

function mutated(valid: fc.Arbitrary<Vector>): fc.Arbitrary<Buffer> {
  return fc.tuple(valid, fc.array(mutationArb, { minLength: 1, maxLength: 4 })).map(([v, ms]) => mutate(v, ms));
}

const bytesArb = (maxLength: number) => fc.uint8Array({ maxLength }).map((u) => Buffer.from(u));

/** Split points for feeding a stream in chunks, 1..n pieces. */
const chunkingArb = fc.array(fc.nat(), { maxLength: 12 });

function chunk(stream: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (stream.length ? c % (stream.length + 1) : 0)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    if (p > from) out.push(stream.subarray(from, p));
    from = Math.max(from, p);
  }
  if (from < stream.length) out.push(stream.subarray(from));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Value arbitraries (PS3.5 9.1 UIDs, PS3.8 AE titles)

const uidComponent = fc.oneof(fc.constant('0'), fc.integer({ min: 1, max: 2 ** 31 }).map(String), fc.bigInt({ min: 1n, max: 10n ** 38n }).map(String));
export const uidArb = fc.array(uidComponent, { minLength: 1, maxLength: 10 }).map((c) => c.join('.')).filter((u) => u.length <= 64);

const aeChar = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.:!#$%&*+/=?@^`{|}~ '.split(''));
/** 1..16 characters of the default repertoire, no backslash, no leading or trailing space (PS3.5 6.2 AE). */
export const aeTitleArb = fc.string({ unit: aeChar, minLength: 1, maxLength: 16 }).filter((s) => s.trim() === s && s !== '');
/** A text value a decoder gives back unchanged: no leading space, no trailing space or NUL. */
const textArb = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength })
  .filter((s) => s.trim() === s);

const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const smallBytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((u) => Buffer.from(u));

// ---------------------------------------------------------------------------------------------
// PDU arbitraries (PS3.8 9.3)

const presentationContextRqArb: fc.Arbitrary<PresentationContextRq> = fc.record({
  id: fc.integer({ min: 0, max: 127 }).map((n) => 2 * n + 1),
  abstractSyntax: uidArb,
  transferSyntaxes: fc.array(uidArb, { minLength: 1, maxLength: 4 }),
});

const presentationContextAcArb: fc.Arbitrary<PresentationContextAc> = fc.record({
  id: fc.integer({ min: 0, max: 127 }).map((n) => 2 * n + 1),
  result: fc.integer({ min: 0, max: 4 }),
  transferSyntax: uidArb,
});

function userInformationArb(forAc: boolean): fc.Arbitrary<UserInformation> {
  return fc.record({
    maxLength: u32,
    implementationClassUid: uidArb,
    implementationVersionName: fc.option(textArb(16), { nil: undefined }),
    asyncOpsWindow: fc.option(fc.record({ invoked: u16, performed: u16 }), { nil: undefined }),
    roleSelections: fc.array(fc.record({ sopClassUid: uidArb, scuRole: fc.boolean(), scpRole: fc.boolean() }), { maxLength: 6 }),
    extendedNegotiations: fc.array(fc.record({ sopClassUid: uidArb, info: smallBytes(16) }), { maxLength: 3 }),
    userIdentityRq: forAc ? fc.constant(undefined) : fc.option(fc.record({
      type: fc.integer({ min: 1, max: 5 }), positiveResponseRequested: fc.boolean(), primaryField: smallBytes(40), secondaryField: smallBytes(40),
    }), { nil: undefined }),
    userIdentityAc: forAc ? fc.option(smallBytes(40), { nil: undefined }) : fc.constant(undefined),
    unknown: fc.constant([]),
  });
}

export const associateRqArb: fc.Arbitrary<AssociateRq> = fc.record({
  type: fc.constant(PDU_TYPE.A_ASSOCIATE_RQ),
  protocolVersion: u16,
  calledAeTitle: aeTitleArb,
  callingAeTitle: aeTitleArb,
  applicationContext: uidArb,
  presentationContexts: fc.array(presentationContextRqArb, { maxLength: 8 }),
  userInformation: userInformationArb(false),
});

export const associateAcArb: fc.Arbitrary<AssociateAc> = fc.record({
  type: fc.constant(PDU_TYPE.A_ASSOCIATE_AC),
  protocolVersion: u16,
  calledAeTitle: aeTitleArb,
  callingAeTitle: aeTitleArb,
  applicationContext: uidArb,
  presentationContexts: fc.array(presentationContextAcArb, { maxLength: 8 }),
  userInformation: userInformationArb(true),
});

/** What a decoder gives back: optional fields that were not sent are absent, not undefined. */
function withoutUndefined<T>(value: T): T {
  if (Buffer.isBuffer(value) || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(withoutUndefined) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = withoutUndefined(v);
  return out as T;
}

/** The items of an A-ASSOCIATE-RQ/AC and their sub-items: every 16-bit length field, for mutation. */
function associateLengthFields(pdu: Buffer): LengthField[] {
  const fields: LengthField[] = [{ at: 2, size: 4, le: false }];
  const walk = (start: number, end: number, depth: number): void => {
    for (let o = start; o + 4 <= end;) {
      const type = pdu[o]!;
      const length = pdu.readUInt16BE(o + 2);
      fields.push({ at: o + 2, size: 2, le: false });
      const value = o + 4;
      if (depth === 0 && (type === 0x20 || type === 0x21)) walk(value + 4, value + length, 1);
      else if (depth === 0 && type === 0x50) walk(value, value + length, 1);
      else if (type === 0x54 || type === 0x56 || type === 0x59) fields.push({ at: value, size: 2, le: false });
      else if (type === 0x58) {
        fields.push({ at: value + 2, size: 2, le: false });
        if (value + 4 <= pdu.length) fields.push({ at: value + 4 + pdu.readUInt16BE(value + 2), size: 2, le: false });
      }
      o = value + length;
    }
  };
  walk(6 + 68, pdu.length, 0);
  return fields;
}

export interface PdvSpec { contextId: number; control: number; data: Buffer }

/** A P-DATA-TF of several PDVs (PS3.8 9.3.5), with its length fields. */
function encodePData(pdvs: PdvSpec[]): Vector {
  const fields: LengthField[] = [{ at: 2, size: 4, le: false }];
  const parts: Buffer[] = [];
  let offset = 6;
  for (const p of pdvs) {
    const h = Buffer.alloc(6);
    h.writeUInt32BE(2 + p.data.length, 0);
    h[4] = p.contextId;
    h[5] = p.control;
    fields.push({ at: offset, size: 4, le: false });
    parts.push(h, p.data);
    offset += 6 + p.data.length;
  }
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(6);
  header[0] = PDU_TYPE.P_DATA_TF;
  header.writeUInt32BE(body.length, 2);
  return { bytes: Buffer.concat([header, body]), fields };
}

const pdvArb: fc.Arbitrary<PdvSpec> = fc.record({
  contextId: fc.oneof(fc.constantFrom(1, 3, 5), u8),
  control: fc.oneof(fc.integer({ min: 0, max: 3 }), u8),
  data: smallBytes(64),
});

/** A valid PDU: what an acceptor may send, with what the parser must hand on. */
interface PduCase { vector: Vector; expect: Array<{ kind: 'control'; pdu: ControlPdu } | { kind: 'pdv'; pdv: PdvSpec }> }

const pduCaseArb: fc.Arbitrary<PduCase> = fc.oneof(
  associateAcArb.map((ac) => {
    const bytes = encodeAssociateAc(ac);
    return { vector: { bytes, fields: associateLengthFields(bytes) }, expect: [{ kind: 'control' as const, pdu: withoutUndefined(ac) }] };
  }),
  associateRqArb.map((rq) => {
    const bytes = encodeAssociateRq(rq);
    return { vector: { bytes, fields: associateLengthFields(bytes) }, expect: [{ kind: 'control' as const, pdu: withoutUndefined(rq) }] };
  }),
  fc.record({ result: u8, source: u8, reason: u8 }).map((rj) => ({
    vector: { bytes: encodeAssociateRj(rj), fields: [{ at: 2, size: 4 as const, le: false }] },
    expect: [{ kind: 'control' as const, pdu: { type: PDU_TYPE.A_ASSOCIATE_RJ, ...rj } }],
  })),
  fc.record({ source: u8, reason: u8 }).map((a) => ({
    vector: { bytes: encodeAbort(a.source, a.reason), fields: [{ at: 2, size: 4 as const, le: false }] },
    expect: [{ kind: 'control' as const, pdu: { type: PDU_TYPE.A_ABORT, ...a } }],
  })),
  fc.constantFrom(RELEASE_RQ, RELEASE_RP).map((b) => ({
    vector: { bytes: b, fields: [{ at: 2, size: 4 as const, le: false }] },
    expect: [{ kind: 'control' as const, pdu: { type: b[0] as typeof PDU_TYPE.A_RELEASE_RQ } }],
  })),
  fc.array(pdvArb, { minLength: 1, maxLength: 4 }).map((pdvs) => ({
    vector: encodePData(pdvs),
    expect: pdvs.map((pdv) => ({ kind: 'pdv' as const, pdv })),
  })),
);

function concatVectors(vectors: Vector[]): Vector {
  const fields: LengthField[] = [];
  let offset = 0;
  for (const v of vectors) {
    for (const f of v.fields) fields.push({ ...f, at: f.at + offset });
    offset += v.bytes.length;
  }
  return { bytes: Buffer.concat(vectors.map((v) => v.bytes)), fields };
}

const pduStreamArb = fc.array(pduCaseArb, { minLength: 1, maxLength: 5 });

/** PDU-shaped garbage: plausible types and headers whose lengths lie, bodies of random bytes. */
const pduLikeArb: fc.Arbitrary<Buffer> = fc.array(fc.record({
  type: fc.oneof(fc.integer({ min: 1, max: 7 }), u8),
  reserved: fc.oneof(fc.constant(0), u8),
  claim: fc.option(interestingLength, { nil: undefined, freq: 2 }),
  body: fc.oneof(
    smallBytes(96),
    fc.array(fc.record({ claim: fc.option(interestingLength, { nil: undefined }), contextId: u8, control: u8, data: smallBytes(24) }), { maxLength: 4 })
      .map((pdvs) => Buffer.concat(pdvs.map((p) => {
        const h = Buffer.alloc(6);
        h.writeUInt32BE(p.claim ?? 2 + p.data.length, 0);
        h[4] = p.contextId;
        h[5] = p.control;
        return Buffer.concat([h, p.data]);
      }))),
  ),
}), { minLength: 1, maxLength: 4 }).map((pdus) => Buffer.concat(pdus.map((p) => {
  const h = Buffer.alloc(6);
  h[0] = p.type;
  h[1] = p.reserved;
  h.writeUInt32BE(p.claim ?? p.body.length, 2);
  return Buffer.concat([h, p.body]);
})));

interface ParserOptionsCase { maxPDataLength: number; maxControlPduLength: number }
const parserOptionsArb: fc.Arbitrary<ParserOptionsCase> = fc.record({
  maxPDataLength: fc.oneof(fc.constant(0), fc.constantFrom(16384, 65536, 1 << 20), fc.integer({ min: 6, max: 4096 })),
  maxControlPduLength: fc.oneof(fc.constant(1024 * 1024), fc.integer({ min: 0, max: 8192 })),
});

type ParserEvent = { kind: 'control'; pdu: ControlPdu } | { kind: 'pdv'; pdv: PdvSpec };

interface ParseOutcome { events: ParserEvent[]; error: string | undefined; idle: boolean }

/** Feeds `chunks`; PDV fragments are joined up to their end, so any chunking compares equal. */
function parse(chunks: Buffer[], options: ParserOptionsCase): ParseOutcome {
  const events: ParserEvent[] = [];
  let pending: Buffer[] = [];
  const parser = new PduParser({
    onControlPdu: (pdu) => { events.push({ kind: 'control', pdu }); },
    onPdv: (contextId, control, data, end) => {
      pending.push(Buffer.from(data));
      if (end) {
        events.push({ kind: 'pdv', pdv: { contextId, control, data: Buffer.concat(pending) } });
        pending = [];
      }
    },
  }, options);
  const input = chunks.reduce((n, c) => n + c.length, 0);
  let error: string | undefined;
  const bound = Math.max(options.maxControlPduLength, 64);
  const thrown = onlyTyped(() => { for (const c of chunks) parser.push(c); }, isProtocolError, bound, `PduParser (${input} bytes)`);
  if (thrown) error = thrown.message;
  return { events, error, idle: parser.idle };
}

// ---------------------------------------------------------------------------------------------
// Command set arbitraries (PS3.7 Annex E)

const commandFieldArb = fc.oneof(fc.constantFrom(...Object.values(COMMAND_FIELD)), u16);

export const commandSetArb: fc.Arbitrary<CommandSet> = fc.record({
  commandField: commandFieldArb,
  messageId: fc.option(u16, { nil: undefined }),
  messageIdBeingRespondedTo: fc.option(u16, { nil: undefined }),
  affectedSopClassUid: fc.option(uidArb, { nil: undefined }),
  requestedSopClassUid: fc.option(uidArb, { nil: undefined }),
  affectedSopInstanceUid: fc.option(uidArb, { nil: undefined }),
  requestedSopInstanceUid: fc.option(uidArb, { nil: undefined }),
  moveDestination: fc.option(aeTitleArb, { nil: undefined }),
  priority: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
  commandDataSetType: fc.oneof(fc.constantFrom(NO_DATA_SET, 0x0000, 0x0102), u16),
  status: fc.option(u16, { nil: undefined }),
  offendingElement: fc.option(fc.array(u32, { maxLength: 4 }), { nil: undefined }),
  errorComment: fc.option(textArb(64), { nil: undefined }),
  errorId: fc.option(u16, { nil: undefined }),
  remaining: fc.option(u16, { nil: undefined }),
  completed: fc.option(u16, { nil: undefined }),
  failed: fc.option(u16, { nil: undefined }),
  warning: fc.option(u16, { nil: undefined }),
  moveOriginatorAeTitle: fc.option(aeTitleArb, { nil: undefined }),
  moveOriginatorMessageId: fc.option(u16, { nil: undefined }),
}, { requiredKeys: ['commandField', 'commandDataSetType'] });

/** Every element's 32-bit length field in an encoded command set. */
function commandSetFields(bytes: Buffer): LengthField[] {
  const fields: LengthField[] = [];
  for (let o = 0; o + 8 <= bytes.length; o += 8 + bytes.readUInt32LE(o + 4)) fields.push({ at: o + 4, size: 4, le: true });
  return fields;
}

const commandVectorArb: fc.Arbitrary<Vector> = commandSetArb.map((c) => {
  const bytes = encodeCommandSet(c);
  return { bytes, fields: commandSetFields(bytes) };
});

// ---------------------------------------------------------------------------------------------
// Data set arbitraries (PS3.5 7.1-7.5), in the three uncompressed encodings

type Element =
  | { kind: 'value'; tag: number; vr: string; value: Buffer; strings?: string[] | undefined }
  | { kind: 'sequence'; tag: number; vr: 'SQ' | 'UN'; items: Item[]; undefinedLength: boolean }
  | { kind: 'fragments'; tag: number; fragments: Buffer[] };
interface Item { elements: Element[]; undefinedLength: boolean }

const SHORT_VRS = ['AE', 'CS', 'DA', 'LO', 'PN', 'SH', 'UI', 'US', 'UL', 'IS', 'DS'] as const;
const LONG_VRS = ['OB', 'OW', 'UN', 'UT', 'UC'] as const;
const STRING_VRS = new Set(['AE', 'CS', 'DA', 'LO', 'PN', 'SH', 'UI', 'IS', 'DS', 'UT', 'UC']);

/** Tags of ordinary attributes: no group 0000/0002 and never the item group FFFE. */
const tagArb = fc.oneof(
  fc.constantFrom(0x00080016, 0x00080018, 0x00080058, 0x00100020, 0x0020000d, 0x0020000e, 0x00080060, 0x00200013),
  fc.tuple(fc.integer({ min: 0x0004, max: 0xfffd }), u16).map(([g, e]) => ((g << 16) | e) >>> 0),
);

const stringValuesArb = fc.array(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).filter((c) => c !== 0x5c).map((c) => String.fromCharCode(c)), maxLength: 12 })
  .map((s) => s.trim()), { minLength: 1, maxLength: 4 });

const valueElementArb: fc.Arbitrary<Element> = fc.oneof(
  fc.record({ tag: tagArb, vr: fc.constantFrom(...SHORT_VRS, ...LONG_VRS), value: smallBytes(40) })
    .map((e) => ({ kind: 'value' as const, ...e })),
  fc.record({ tag: tagArb, vr: fc.constantFrom(...STRING_VRS), strings: stringValuesArb }).map((e) => {
    const text = e.strings.join('\\');
    const pad = text.length % 2 ? (e.vr === 'UI' ? '\0' : ' ') : '';
    return { kind: 'value' as const, tag: e.tag, vr: e.vr, value: Buffer.from(text + pad, 'latin1'), strings: e.strings };
  }),
);

const { element: elementArb } = fc.letrec<{ element: Element; item: Item }>((tie) => ({
  element: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'ds' },
    valueElementArb,
    fc.record({
      kind: fc.constant('sequence' as const), tag: tagArb, vr: fc.constantFrom('SQ' as const, 'UN' as const),
      items: fc.array(tie('item'), { maxLength: 3 }), undefinedLength: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('fragments' as const), tag: fc.constant(0x7fe00010), fragments: fc.array(smallBytes(16), { maxLength: 3 }) }),
  ),
  item: fc.record({ elements: fc.array(tie('element'), { maxLength: 3 }), undefinedLength: fc.boolean() }),
}));

/** Top-level elements with distinct tags, in ascending order (PS3.5 7.1). */
const dataSetArb = fc.uniqueArray(elementArb, { selector: (e) => e.tag, maxLength: 8 })
  .map((els) => [...els].sort((a, b) => a.tag - b.tag));

interface Encoding { implicit: boolean; bigEndian: boolean; uid: string }
const ENCODINGS: Encoding[] = [
  { implicit: true, bigEndian: false, uid: IMPLICIT_VR_LITTLE_ENDIAN },
  { implicit: false, bigEndian: false, uid: EXPLICIT_VR_LITTLE_ENDIAN },
  { implicit: false, bigEndian: true, uid: EXPLICIT_VR_BIG_ENDIAN },
];

interface EncodedDataSet extends Vector {
  encoding: Encoding;
  /** Top-level elements as the walker must report them. */
  top: Array<{ tag: number; vr: string; value: Buffer | undefined; offset: number; strings?: string[] | undefined }>;
}

const UNDEFINED = 0xffffffff;

/** A data set encoder written from PS3.5 for these tests, independent of src/. */
function encodeDataSet(elements: Element[], encoding: Encoding): EncodedDataSet {
  const chunks: Buffer[] = [];
  const fields: LengthField[] = [];
  const top: EncodedDataSet['top'] = [];
  let offset = 0;
  const put = (b: Buffer) => { chunks.push(b); offset += b.length; };
  const u16b = (n: number, be: boolean) => { const b = Buffer.alloc(2); if (be) b.writeUInt16BE(n); else b.writeUInt16LE(n); return b; };
  const u32b = (n: number, be: boolean) => { const b = Buffer.alloc(4); if (be) b.writeUInt32BE(n >>> 0); else b.writeUInt32LE(n >>> 0); return b; };
  const tagBytes = (tag: number, be: boolean) => Buffer.concat([u16b(tag >>> 16, be), u16b(tag & 0xffff, be)]);
  /** Writes a header whose length is filled in later (defined) or is UNDEFINED; returns a patcher. */
  const header = (tag: number, vr: string | undefined, implicit: boolean, be: boolean, undefinedLength: boolean): ((length: number) => void) => {
    put(tagBytes(tag, be));
    if (implicit || vr === undefined || (tag >>> 16) === 0xfffe) {
      const lengthAt = offset;
      fields.push({ at: lengthAt, size: 4, le: !be });
      const b = u32b(undefinedLength ? UNDEFINED : 0, be);
      put(b);
      return (length) => { if (!undefinedLength) { if (be) b.writeUInt32BE(length); else b.writeUInt32LE(length); } };
    }
    put(Buffer.from(vr, 'latin1'));
    if ((LONG_VRS as readonly string[]).includes(vr) || vr === 'SQ') {
      put(Buffer.alloc(2));
      fields.push({ at: offset, size: 4, le: !be });
      const b = u32b(undefinedLength ? UNDEFINED : 0, be);
      put(b);
      return (length) => { if (!undefinedLength) { if (be) b.writeUInt32BE(length); else b.writeUInt32LE(length); } };
    }
    fields.push({ at: offset, size: 2, le: !be });
    const b = u16b(0, be);
    put(b);
    return (length) => { if (be) b.writeUInt16BE(length); else b.writeUInt16LE(length); };
  };
  /** Top-level entries; a defined-length sequence's value is its content range, read once encoded. */
  const ranges: Array<[number, number] | undefined> = [];
  const element = (e: Element, implicit: boolean, be: boolean, depth: number): void => {
    const start = offset;
    if (e.kind === 'value') {
      const patch = header(e.tag, e.vr, implicit, be, false);
      put(e.value);
      patch(e.value.length);
      if (depth === 0) {
        top.push({ tag: e.tag, vr: e.vr, value: e.value, offset: start, strings: e.strings });
        ranges.push(undefined);
      }
      return;
    }
    if (e.kind === 'fragments') {
      // PS3.5 A.4: encapsulated Pixel Data, OB of undefined length, an offset table item then fragments.
      header(e.tag, 'OB', implicit, be, true);
      for (const f of [Buffer.alloc(0), ...e.fragments]) {
        const patch = header(0xfffee000, undefined, true, be, false);
        put(f);
        patch(f.length);
      }
      header(0xfffee0dd, undefined, true, be, false)(0);
      if (depth === 0) {
        top.push({ tag: e.tag, vr: 'OB', value: undefined, offset: start });
        ranges.push(undefined);
      }
      return;
    }
    // PS3.5 6.2.2: a UN sequence holds its items in Implicit VR Little Endian; not defined for big endian.
    const vr = e.vr === 'UN' && be ? 'SQ' : e.vr;
    const undefinedLength = e.undefinedLength || vr === 'UN';
    const patch = header(e.tag, vr, implicit, be, undefinedLength);
    const contentStart = offset;
    const innerImplicit = implicit || vr === 'UN';
    for (const item of e.items) {
      const patchItem = header(0xfffee000, undefined, true, be, item.undefinedLength);
      const itemStart = offset;
      for (const inner of item.elements) element(inner, innerImplicit, be, depth + 1);
      patchItem(offset - itemStart);
      if (item.undefinedLength) header(0xfffee00d, undefined, true, be, false)(0);
    }
    if (undefinedLength) header(0xfffee0dd, undefined, true, be, false)(0);
    patch(offset - contentStart);
    if (depth === 0) {
      top.push({ tag: e.tag, vr, value: undefined, offset: start });
      ranges.push(undefinedLength ? undefined : [contentStart, offset]);
    }
  };
  for (const e of elements) element(e, encoding.implicit, encoding.bigEndian, 0);
  const bytes = Buffer.concat(chunks);
  top.forEach((t, i) => { const r = ranges[i]; if (r) t.value = bytes.subarray(r[0], r[1]); });
  return { bytes, fields, encoding, top };
}

const encodedDataSetArb: fc.Arbitrary<EncodedDataSet> = fc.tuple(dataSetArb, fc.constantFrom(...ENCODINGS))
  .map(([els, enc]) => encodeDataSet(els, enc));

// ---------------------------------------------------------------------------------------------
// The receive path: PduParser → (Association stub) → DimseChannel → handler

interface Message { contextId: number; command: CommandSet; dataSet: Buffer | undefined }

const messageArb: fc.Arbitrary<Message> = fc.tuple(
  commandSetArb, fc.constantFrom(1, 3), fc.option(smallBytes(300), { nil: undefined }), fc.boolean(),
).map(([command, contextId, dataSet, store]) => {
  const c = { ...command };
  if (store) c.commandField = COMMAND_FIELD.C_STORE_RQ;
  if (dataSet === undefined) c.commandDataSetType = NO_DATA_SET;
  else if (c.commandDataSetType === NO_DATA_SET) c.commandDataSetType = 0x0000;
  return { contextId, command: c, dataSet };
});

/** Splits each message part into PDV fragments of random sizes and packs PDVs into P-DATA-TF PDUs. */
function encodeMessages(messages: Message[], fragmentSizes: number[], pdvsPerPdu: number[]): Vector {
  const pdvs: PdvSpec[] = [];
  let k = 0;
  let previous = 1;
  // A zero-length PDV now and then, never two in a row (each part must make progress).
  const nextSize = () => (previous = fragmentSizes.length ? fragmentSizes[k++ % fragmentSizes.length]! || (previous === 0 ? 1 : 0) : 1 << 30);
  const part = (contextId: number, command: boolean, data: Buffer) => {
    let offset = 0;
    do {
      const size = Math.min(nextSize(), data.length - offset);
      const last = offset + size === data.length;
      pdvs.push({ contextId, control: (command ? 1 : 0) | (last ? 2 : 0), data: data.subarray(offset, offset + size) });
      offset += size;
    } while (offset < data.length);
  };
  for (const m of messages) {
    part(m.contextId, true, encodeCommandSet(m.command));
    if (m.dataSet) part(m.contextId, false, m.dataSet);
  }
  const vectors: Vector[] = [];
  for (let i = 0, j = 0; i < pdvs.length; j++) {
    const n = Math.max(1, pdvsPerPdu.length ? pdvsPerPdu[j % pdvsPerPdu.length]! : 1);
    vectors.push(encodePData(pdvs.slice(i, i + n)));
    i += n;
  }
  return concatVectors(vectors);
}

const messagesCaseArb = fc.record({
  messages: fc.array(messageArb, { minLength: 1, maxLength: 4 }),
  fragmentSizes: fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 6 }),
  pdvsPerPdu: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 4 }),
});

type ChannelEvent =
  | { kind: 'message'; command: CommandSet; contextId: number; dataSet: Buffer | undefined }
  | { kind: 'store'; command: CommandSet; contextId: number; data: Buffer; ended: boolean; aborted: boolean };

interface ChannelRun { events: ChannelEvent[]; error: Error | undefined }

const CONTEXTS = new Map([1, 3, 5].map((id) => [id, {
  id, abstractSyntax: '1.2.840.10008.5.1.4.1.1.2', proposedTransferSyntaxes: [EXPLICIT_VR_LITTLE_ENDIAN], result: id === 5 ? 4 : 0,
  accepted: id !== 5, transferSyntax: id === 5 ? '' : EXPLICIT_VR_LITTLE_ENDIAN, scuRole: false, scpRole: true,
}]));

/** The whole receive path over a stub Association: bytes in, DIMSE messages and sink writes out. */
function runChannel(chunks: Buffer[], maxPDataLength: number): ChannelRun {
  const events: ChannelEvent[] = [];
  const association = {
    contexts: CONTEXTS,
    setDataListener: () => {},
    abort: () => {},
    send: () => {},
  };
  const handler: DimseHandler = {
    onStoreRequest(command, context): DatasetSink {
      const event: ChannelEvent = { kind: 'store', command, contextId: context.id, data: Buffer.alloc(0), ended: false, aborted: false };
      const parts: Buffer[] = [];
      events.push(event);
      return {
        write: (chunk) => { parts.push(Buffer.from(chunk)); event.data = Buffer.concat(parts); },
        end: () => { event.ended = true; },
        abort: () => { event.aborted = true; },
      };
    },
    onMessage(command, context, dataSet) { events.push({ kind: 'message', command, contextId: context.id, dataSet }); },
    onClose() {},
  };
  const channel = new DimseChannel(association as unknown as ConstructorParameters<typeof DimseChannel>[0], handler);
  const parser = new PduParser({ onControlPdu: () => {}, onPdv: (c, ctl, d, e) => channel.onPdv(c, ctl, d, e) }, { maxPDataLength });
  const input = chunks.reduce((n, c) => n + c.length, 0);
  const error = onlyTyped(() => { for (const c of chunks) parser.push(c); }, isProtocolError, Math.max(1024 * 1024, input + 64), 'DimseChannel');
  channel.onClose(error ?? null);
  return { events, error };
}

// ---------------------------------------------------------------------------------------------
// The properties

export interface FuzzProperty {
  name: string;
  /** Share of the long run's inputs, and runs in the quick unit run (× its multiplier). */
  weight: number;
  arbitrary: fc.Arbitrary<unknown>;
  /** Throws when the property does not hold for `value`. */
  predicate: (value: unknown) => void;
  property: fc.IProperty<[unknown]>;
}

const properties: FuzzProperty[] = [];
function define<T>(name: string, weight: number, arbitrary: fc.Arbitrary<T>, predicate: (value: T) => void): void {
  const p = predicate as (value: unknown) => void;
  properties.push({ name, weight, arbitrary, predicate: p, property: fc.property(arbitrary as fc.Arbitrary<unknown>, p) });
}

// --- ul/pdu-parser.ts ---

define('PduParser: random bytes in any chunking give only ProtocolError, bounded allocations', 8,
  fc.tuple(fc.oneof(bytesArb(256), pduLikeArb), chunkingArb, parserOptionsArb), ([bytes, cuts, options]) => {
    assert.deepStrictEqual(parse(chunk(bytes, cuts), options), parse([bytes], options));
  });

define('PduParser: a header claiming up to 4 GB never allocates more than the bound', 4,
  fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 0xffffffff }), smallBytes(64), parserOptionsArb),
  ([type, claim, tail, options]) => {
    const header = Buffer.alloc(6);
    header[0] = type;
    header.writeUInt32BE(claim, 2);
    const outcome = parse([header, tail], options);
    const bound = type === PDU_TYPE.P_DATA_TF ? options.maxPDataLength : options.maxControlPduLength;
    if (type === PDU_TYPE.P_DATA_TF && bound === 0) return; // no limit announced: streamed, never buffered
    if (claim > bound) assert.ok(outcome.error, `a ${claim}-byte PDU of type ${type} over the bound ${bound} must be refused`);
  });

define('PduParser: valid PDU streams round-trip and give the same result for any chunking', 6,
  fc.tuple(pduStreamArb, chunkingArb, chunkingArb), ([cases, cutsA, cutsB]) => {
    const stream = concatVectors(cases.map((c) => c.vector)).bytes;
    const options = { maxPDataLength: 0, maxControlPduLength: 1024 * 1024 };
    const whole = parse([stream], options);
    assert.equal(whole.error, undefined);
    assert.ok(whole.idle);
    assert.deepStrictEqual(whole.events, withoutUndefined(cases.flatMap((c) => c.expect)));
    assert.deepStrictEqual(parse(chunk(stream, cutsA), options), whole);
    assert.deepStrictEqual(parse(chunk(stream, cutsB), options), whole);
    const bytewise: Buffer[] = [];
    if (stream.length < 600) {
      for (let i = 0; i < stream.length; i++) bytewise.push(stream.subarray(i, i + 1));
      assert.deepStrictEqual(parse(bytewise, options), whole);
    }
  });

define('PduParser: mutated valid streams give only ProtocolError, and the same outcome for any chunking', 10,
  fc.tuple(mutated(pduStreamArb.map((cs) => concatVectors(cs.map((c) => c.vector)))), chunkingArb, parserOptionsArb),
  ([bytes, cuts, options]) => {
    const whole = parse([bytes], options);
    assert.deepStrictEqual(parse(chunk(bytes, cuts), options), whole);
  });

define('P-DATA-TF: encodePDataTf → PduParser gives back the data, its context and control bits', 3,
  fc.tuple(u8, fc.boolean(), smallBytes(600), fc.oneof(fc.constant(0), fc.integer({ min: 7, max: 300 })), chunkingArb),
  ([contextId, command, data, peerMax, cuts]) => {
    const stream = Buffer.concat(encodePDataTf(contextId, command, data, peerMax));
    const outcome = parse(chunk(stream, cuts), { maxPDataLength: peerMax, maxControlPduLength: 1024 });
    assert.equal(outcome.error, undefined);
    assert.ok(outcome.events.length >= 1);
    outcome.events.forEach((e, i) => {
      assert.ok(e.kind === 'pdv');
      assert.equal(e.pdv.contextId, contextId);
      assert.equal(e.pdv.control, (command ? 1 : 0) | (i === outcome.events.length - 1 ? 2 : 0));
      if (peerMax) assert.ok(e.pdv.data.length + 6 <= peerMax);
    });
    assert.deepStrictEqual(Buffer.concat(outcome.events.map((e) => (e.kind === 'pdv' ? e.pdv.data : Buffer.alloc(0)))), data);
  });

// --- ul/a-associate.ts, a-associate-rj.ts, a-abort.ts ---

define('A-ASSOCIATE-RQ/AC: encode → decode is the identity', 4,
  fc.oneof(associateRqArb, associateAcArb), (pdu) => {
    const bytes = pdu.type === PDU_TYPE.A_ASSOCIATE_RQ ? encodeAssociateRq(pdu) : encodeAssociateAc(pdu);
    assert.equal(bytes.readUInt32BE(2), bytes.length - 6);
    const decoded = pdu.type === PDU_TYPE.A_ASSOCIATE_RQ ? decodeAssociateRq(bytes.subarray(6)) : decodeAssociateAc(bytes.subarray(6));
    assert.deepStrictEqual(decoded, withoutUndefined(pdu));
  });

const controlDecoders: Array<[string, (b: Buffer) => unknown]> = [
  ['decodeAssociateRq', decodeAssociateRq],
  ['decodeAssociateAc', decodeAssociateAc],
  ['decodeAssociateRj', decodeAssociateRj],
  ['decodeAbort', decodeAbort],
];

define('A-ASSOCIATE-RQ/AC/RJ, A-ABORT decoders: random bodies give only ProtocolError', 6,
  fc.tuple(fc.oneof(bytesArb(200), fc.uint8Array({ minLength: 68, maxLength: 68 }).chain((fixed) =>
    pduLikeArb.map((rest) => Buffer.concat([fixed, rest.subarray(6)])))), fc.integer({ min: 0, max: 3 })),
  ([body, which]) => {
    const [name, decode] = controlDecoders[which]!;
    onlyTyped(() => decode(body), isProtocolError, inputBound(body), name);
  });

define('A-ASSOCIATE-RQ/AC, RJ, A-ABORT decoders: mutated valid PDUs give only ProtocolError', 8,
  mutated(pduCaseArb.filter((c) => c.vector.bytes[0] !== PDU_TYPE.P_DATA_TF).map((c) => c.vector)),
  (pdu) => {
    if (pdu.length < 6) return;
    const type = pdu[0]!;
    const body = pdu.subarray(6);
    onlyTyped(() => decodeControlPdu(type, body), isProtocolError, inputBound(body), `decodeControlPdu(0x${type.toString(16)})`);
    for (const [name, decode] of controlDecoders) onlyTyped(() => decode(body), isProtocolError, inputBound(body), name);
  });

// --- dimse/command-set.ts ---

define('Command set: encode → decode is the identity', 4, commandSetArb, (command) => {
  assert.deepStrictEqual(decodeCommandSet(encodeCommandSet(command)), withoutUndefined(command));
});

define('Command set: a trailing (0008,0058) Failed SOP Instance UID List is kept', 1,
  fc.tuple(commandSetArb, fc.array(uidArb, { minLength: 1, maxLength: 5 })), ([command, uids]) => {
    const text = uids.join('\\');
    const value = Buffer.from(text.length % 2 ? `${text}\0` : text, 'latin1');
    const header = Buffer.alloc(8);
    header.writeUInt16LE(0x0008, 0);
    header.writeUInt16LE(0x0058, 2);
    header.writeUInt32LE(value.length, 4);
    const decoded = decodeCommandSet(Buffer.concat([encodeCommandSet(command), header, value]));
    assert.deepStrictEqual(decoded, { ...withoutUndefined(command), failedSopInstanceUidList: uids });
  });

define('Command set: random and mutated bytes give only ProtocolError', 8,
  fc.oneof(bytesArb(200), mutated(commandVectorArb)), (bytes) => {
    onlyTyped(() => decodeCommandSet(bytes), isProtocolError, inputBound(bytes), 'decodeCommandSet');
  });

// --- dicom/data-set-reader.ts ---

define('walkDataSet: visits exactly the top-level elements of a generated data set (3 encodings)', 4,
  encodedDataSetArb, (ds) => {
    const seen: Array<{ tag: number; vr: string; value: Buffer | undefined; offset: number }> = [];
    walkDataSet(ds.bytes, ds.encoding.uid, (e) => { seen.push({ tag: e.tag, vr: ds.encoding.implicit ? '' : e.vr, value: e.value, offset: e.offset }); });
    assert.deepStrictEqual(seen, ds.top.map((t) => ({ tag: t.tag, vr: ds.encoding.implicit ? '' : t.vr, value: t.value, offset: t.offset })));
  });

define('readStrings: returns the string values of the asked tags, nothing for absent ones', 3,
  fc.tuple(encodedDataSetArb, fc.array(tagArb, { maxLength: 2 })), ([ds, absent]) => {
    const withStrings = ds.top.filter((t) => t.strings);
    const absentTags = absent.filter((t) => !ds.top.some((e) => e.tag === t));
    const wanted = [...withStrings.map((t) => t.tag), ...absentTags];
    const got = readStrings(ds.bytes, ds.encoding.uid, wanted);
    const expected = new Map(withStrings.map((t) => [t.tag, t.strings!.join('\\') === '' ? [] : t.strings!]));
    assert.deepStrictEqual(got, expected);
  });

define('walkDataSet/readStrings: random and mutated bytes give only TruncatedDataSet (3 encodings)', 10,
  fc.tuple(fc.oneof(bytesArb(256), mutated(encodedDataSetArb)), fc.constantFrom(...ENCODINGS.map((e) => e.uid), '1.2.840.10008.1.2.4.50', '')),
  ([bytes, ts]) => {
    onlyTyped(() => walkDataSet(bytes, ts, () => true), isTruncatedDataSet, inputBound(bytes), 'walkDataSet');
    onlyTyped(() => readStrings(bytes, ts, [0x00080058, 0x00100020, 0x7fe00010]), isTruncatedDataSet, inputBound(bytes), 'readStrings');
  });

/** `depth` undefined-length sequences, each in an undefined-length item of the one before, never closed. */
function nestedSequences(depth: number, enc: Encoding): Buffer {
  const be = enc.bigEndian;
  const item = Buffer.alloc(8);
  const seq = enc.implicit ? Buffer.alloc(8) : Buffer.alloc(12);
  const tag = (b: Buffer, g: number, e: number) => { if (be) { b.writeUInt16BE(g, 0); b.writeUInt16BE(e, 2); } else { b.writeUInt16LE(g, 0); b.writeUInt16LE(e, 2); } };
  tag(item, 0xfffe, 0xe000);
  item.writeUInt32LE(UNDEFINED, 4);
  tag(seq, 0x0040, 0xa730);
  if (enc.implicit) seq.writeUInt32LE(UNDEFINED, 4);
  else { seq.write('SQ', 4, 'latin1'); seq.writeUInt32LE(UNDEFINED, 8); }
  return Buffer.concat(Array.from({ length: depth }, () => [seq, item]).flat());
}

define('walkDataSet: deeply nested undefined-length sequences stop with TruncatedDataSet, no stack overflow', 1,
  fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.constantFrom(...ENCODINGS)), ([depth, enc]) => {
    const bytes = nestedSequences(depth, enc);
    onlyTyped(() => walkDataSet(bytes, enc.uid, () => true), isTruncatedDataSet, inputBound(bytes), 'walkDataSet');
  });

// --- dicom/part10.ts ---

const fileMetaArb: fc.Arbitrary<FileMetaInformation> = fc.record({
  mediaStorageSopClassUid: uidArb,
  mediaStorageSopInstanceUid: uidArb,
  transferSyntaxUid: fc.oneof(fc.constantFrom(...TRANSFER_SYNTAXES.map((t) => t.uid)), uidArb),
  sourceAeTitle: fc.option(aeTitleArb, { nil: undefined }),
});

define('Part 10: encodeFileMetaInformation → decodeFileMetaInformation is the identity', 2,
  fc.tuple(fileMetaArb, encodedDataSetArb), ([meta, ds]) => {
    const head = encodeFileMetaInformation(meta);
    const decoded = decodeFileMetaInformation(Buffer.concat([head, ds.bytes]));
    assert.deepStrictEqual(decoded, { ...meta, dataSetOffset: head.length });
  });

/** Every element length field of an encoded File Meta Information (Explicit VR Little Endian). */
function fileMetaFields(bytes: Buffer): LengthField[] {
  const fields: LengthField[] = [];
  for (let o = 132; o + 8 <= bytes.length && bytes.readUInt16LE(o) === 0x0002;) {
    const long = bytes.toString('latin1', o + 4, o + 6) === 'OB';
    fields.push({ at: o + (long ? 8 : 6), size: long ? 4 : 2, le: true });
    if (bytes.readUInt16LE(o + 2) === 0) fields.push({ at: o + 8, size: 4, le: true }); // group length value
    o += (long ? 12 + bytes.readUInt32LE(o + 8) : 8 + bytes.readUInt16LE(o + 6));
  }
  return fields;
}

define('Part 10: random and mutated File Meta Information gives only its plain Error', 6,
  fc.oneof(
    bytesArb(64).map((b) => Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), b])),
    mutated(fileMetaArb.map((m) => { const bytes = encodeFileMetaInformation(m); return { bytes, fields: fileMetaFields(bytes) }; })),
  ),
  (bytes) => {
    onlyTyped(() => decodeFileMetaInformation(bytes), isPlainError, inputBound(bytes), 'decodeFileMetaInformation');
  });

// --- dicom/data-set-structure.ts ---

/** Transfer syntaxes a structure check may be told: the three encodings, two encapsulated, deflated, unknown. */
const structureSyntaxArb = fc.constantFrom(...ENCODINGS.map((e) => e.uid), '1.2.840.10008.1.2.5', '1.2.840.10008.1.2.4.50', '1.2.840.10008.1.2.1.99', '1.2.3.4', '');

/** The streaming check fed `pieces`; it must throw nothing and allocate (almost) nothing. */
function structureVerdict(pieces: Buffer[], ts: string): string | undefined {
  return probeAllocations(64, () => {
    const check = new DataSetStructure(ts);
    for (const p of pieces) check.write(p);
    return check.end();
  });
}

/** Every piece one byte long. */
const bytewise = (b: Buffer): Buffer[] => Array.from({ length: b.length }, (_, i) => b.subarray(i, i + 1));

/** The claims about one input: same verdict for any pieces, the reference's, data-set-reader's when it is cut short. */
function assertStructure(bytes: Buffer, ts: string, cuts: number[]): string | undefined {
  const whole = structureVerdict([bytes], ts);
  assert.ok(whole === undefined || (typeof whole === 'string' && whole.length > 0 && !whole.includes('\n')), `not a one-line reason: ${whole}`);
  assert.equal(structureVerdict(chunk(bytes, cuts), ts), whole, 'the verdict depends on the fragmentation');
  if (bytes.length <= 300) assert.equal(structureVerdict(bytewise(bytes), ts), whole, 'the verdict depends on the fragmentation (byte by byte)');
  const reference = referenceStructure(bytes, ts);
  assert.equal(whole === undefined, reference.whole, `the reference walk says ${reference.whole ? 'whole' : 'not whole'}; the check says ${whole ?? 'whole'}`);
  // Whatever data-set-reader finds cut short is never passed (their header rules agree but for unknown VRs).
  if (whole === undefined && !reference.unknownVr) {
    const tags: number[] = [];
    walkDataSet(bytes, ts, (e) => { tags.push(e.tag); });
    assert.deepStrictEqual(tags, reference.tags);
  }
  return whole;
}

define('DataSetStructure: generated data sets pass in any fragmentation (3 encodings), as the reference and walkDataSet say', 4,
  fc.tuple(encodedDataSetArb, chunkingArb), ([ds, cuts]) => {
    const verdict = assertStructure(ds.bytes, ds.encoding.uid, cuts);
    const encapsulatedOnTop = ds.top.some((t) => t.tag === 0x7fe00010 && t.value === undefined);
    if (ds.top.length === 0) assert.equal(verdict, 'the data set is empty');
    else if (encapsulatedOnTop) assert.match(verdict ?? '', /^encapsulated \(compressed\) Pixel Data on a context accepted with .*, a native syntax/);
    else assert.equal(verdict, undefined);
    // Explicit VR sent on an implicit context, and the reverse, fail at the first element.
    if (ds.top.length > 0 && !ds.encoding.bigEndian) {
      const other = ds.encoding.implicit ? EXPLICIT_VR_LITTLE_ENDIAN : IMPLICIT_VR_LITTLE_ENDIAN;
      assert.match(structureVerdict([ds.bytes], other) ?? '', ds.encoding.implicit ? /^the data set is not in explicit VR/ : /^the data set is in explicit VR/);
    }
  });

define('DataSetStructure: cut short, or with bytes past the end, a generated data set never passes', 3,
  fc.tuple(encodedDataSetArb, fc.nat(), smallBytes(16), chunkingArb), ([ds, cut, tail, cuts]) => {
    if (ds.top.length === 0) return;
    // A cut between two top-level elements leaves a whole data set: cut inside the last one.
    const last = ds.top.at(-1)!.offset;
    const at = last + 1 + (cut % (ds.bytes.length - last));
    if (at < ds.bytes.length) assert.notEqual(assertStructure(ds.bytes.subarray(0, at), ds.encoding.uid, cuts), undefined, `cut at ${at} of ${ds.bytes.length}`);
    // Trailing bytes: zeros or random, 1..16; rarely they could form elements that continue the order.
    const padded = Buffer.concat([ds.bytes, tail.length ? tail : Buffer.alloc(1)]);
    const verdict = assertStructure(padded, ds.encoding.uid, cuts);
    if (verdict === undefined) {
      const tags = referenceStructure(padded, ds.encoding.uid).tags;
      assert.ok(tags.length > ds.top.length && tags.at(-1)! > ds.top.at(-1)!.tag, 'trailing bytes passed without reading as elements in order');
    }
  });

define('DataSetStructure: random and mutated bytes: no throw, no allocation, the reference verdict for any fragmentation', 10,
  fc.tuple(fc.oneof(bytesArb(256), mutated(encodedDataSetArb)), structureSyntaxArb, chunkingArb),
  ([bytes, ts, cuts]) => { assertStructure(bytes, ts, cuts); });

define('DataSetStructure: deep nesting stops at the bound, with no stack overflow', 1,
  fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.constantFrom(...ENCODINGS), chunkingArb), ([depth, enc, cuts]) => {
    const bytes = nestedSequences(depth, enc);
    assert.notEqual(assertStructure(bytes, enc.uid, cuts), undefined);
  });

// --- output/output-path.ts ---

/** Values a peer can send: latin1 text (how every decoder reads them), hostile fragments mixed in. */
const peerStringArb = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 80 }),
  fc.array(fc.constantFrom('..', '.', '/', '\\', '~', ' ', '\0', 'a', '1', '.2', '0', 'C:', '\n', '\u00a0', 'é', '_', '-1'), { maxLength: 12 }).map((p) => p.join('')),
  fc.string({ unit: 'binary', maxLength: 80 }),
  uidArb,
  fc.string({ unit: 'binary', minLength: 120, maxLength: 300 }),
);

function assertSafeComponent(name: string, of: string): void {
  const why = `${JSON.stringify(name)} for ${JSON.stringify(of)}`;
  assert.ok(name.length > 0, `empty: ${why}`);
  assert.ok(name !== '.' && name !== '..', `dot name: ${why}`);
  assert.ok(!/[\0-\x1f\x7f/\\]/.test(name), `separator or control character: ${why}`);
  assert.ok(Buffer.byteLength(name) <= 128, `over 128 bytes: ${why}`);
  assert.equal(path.basename(name), name, `not a single component: ${why}`);
}

const ROOT = path.resolve('/tmp/dcmget-fuzz-root');

define('safeComponent/instanceFileName: one safe component, inside the output folder', 6, peerStringArb, (value) => {
  const component = safeComponent(value);
  assertSafeComponent(component, value);
  const file = instanceFileName(value);
  assertSafeComponent(file.name, value);
  assert.ok(file.name.endsWith('.dcm'));
  assert.equal(file.sanitised, !isValidUid(value));
  if (!file.sanitised) assert.equal(file.name, `${value}.dcm`);
  const full = resolveInside(ROOT, file.name);
  assert.equal(path.dirname(full), ROOT);
  // A layout path of several sanitised values stays inside too.
  const nested = resolveInside(ROOT, `${component}/${component}/${file.name}`);
  assert.ok(nested.startsWith(ROOT + path.sep));
});

define('safeComponent/instanceFileName: distinct values never share a file name (as UTF-8 bytes on disk)', 4,
  fc.uniqueArray(peerStringArb, { minLength: 2, maxLength: 12 }), (generated) => {
    // A peer may also send another value's sanitised form ("x~<digest>") to pose as it.
    const values = [...new Set([...generated, ...generated.map(safeComponent), ...generated.map((v) => instanceFileName(v).name.slice(0, -4))])];
    const onDisk = (s: string) => Buffer.from(s, 'utf8').toString('hex');
    const components = new Map<string, string>();
    const files = new Map<string, string>();
    for (const v of values) {
      const c = onDisk(safeComponent(v));
      const f = onDisk(instanceFileName(v).name);
      assert.ok(!components.has(c), `safeComponent(${JSON.stringify(v)}) collides with that of ${JSON.stringify(components.get(c))}`);
      assert.ok(!files.has(f), `instanceFileName(${JSON.stringify(v)}) collides with that of ${JSON.stringify(files.get(f))}`);
      components.set(c, v);
      files.set(f, v);
    }
  });

define('resolveInside: any relative path lands strictly inside the root or is refused', 4,
  fc.tuple(
    fc.array(fc.oneof(fc.constantFrom('..', '.', '', '/', '//', 'a', '..a', 'a..', '...', '\\..', '~', '\0'), fc.string({ maxLength: 6 })), { maxLength: 8 }).map((p) => p.join('/')),
    fc.constantFrom(ROOT, '/tmp/x/../dcmget-fuzz-root/', 'relative/out', '/'),
  ),
  ([relative, root]) => {
    const base = path.resolve(root);
    let full: string;
    try {
      full = resolveInside(root, relative);
    } catch (err) {
      assert.ok(isPlainError(err), describeError(err));
      return;
    }
    const rel = path.relative(base, full);
    assert.ok(rel !== '' && !rel.split(path.sep).includes('..') && !path.isAbsolute(rel), `${JSON.stringify(relative)} → ${full}`);
    assert.ok(full.startsWith(base === path.sep ? base : base + path.sep));
  });

// --- dimse/channel.ts: the whole receive path ---

define('Receive path: valid DIMSE messages in any fragmentation and chunking reach the handler intact', 4,
  fc.tuple(messagesCaseArb, chunkingArb, fc.oneof(fc.constant(0), fc.constant(16384))),
  ([c, cuts, maxPDataLength]) => {
    const stream = encodeMessages(c.messages, c.fragmentSizes, c.pdvsPerPdu).bytes;
    const run = runChannel(chunk(stream, cuts), maxPDataLength === 0 ? 0 : Math.max(maxPDataLength, stream.length));
    assert.equal(run.error, undefined, run.error?.message);
    const expected: ChannelEvent[] = c.messages.map((m) => {
      const command = withoutUndefined(m.command);
      if (m.dataSet && m.command.commandField === COMMAND_FIELD.C_STORE_RQ) {
        return { kind: 'store', command, contextId: m.contextId, data: m.dataSet, ended: true, aborted: false };
      }
      return { kind: 'message', command, contextId: m.contextId, dataSet: m.dataSet };
    });
    assert.deepStrictEqual(run.events, expected);
  });

define('Receive path: random and mutated streams give only ProtocolError, bounded allocations', 10,
  fc.tuple(
    fc.oneof(pduLikeArb, mutated(messagesCaseArb.map((c) => encodeMessages(c.messages, c.fragmentSizes, c.pdvsPerPdu)))),
    chunkingArb, fc.constantFrom(0, 64, 16384),
  ),
  ([bytes, cuts, maxPDataLength]) => {
    const run = runChannel(chunk(bytes, cuts), maxPDataLength);
    for (const e of run.events) if (e.kind === 'store') assert.ok(!(e.ended && e.aborted));
  });

export const PROPERTIES: readonly FuzzProperty[] = properties;
