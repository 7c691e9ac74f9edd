// Helpers for byte-level tests: annotated hex vectors, and the one error decoders may throw.
import assert from 'node:assert/strict';
import { ProtocolError } from '../../src/ul/protocol-error.ts';

/** An annotated hex literal: `//` comments and white space are dropped. */
export function hex(text: string): Buffer {
  const digits = text.replace(/\/\/[^\n]*/g, '').replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`bad hex literal: ${digits}`);
  return Buffer.from(digits, 'hex');
}

/** Every decode of a malformed input ends in a ProtocolError, never a RangeError or a crash. */
export function assertProtocolError(fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    if (message) assert.match(err.message, message);
    return true;
  });
}

/**
 * One Explicit VR Little Endian element written by hand (PS3.5 7.1.2), its value padded to an even
 * length: test data made without the writer under test.
 */
export function explicitElement(tag: number, vr: string, value: Buffer): Buffer {
  const v = value.length % 2 ? Buffer.concat([value, Buffer.from([vr === 'UI' ? 0 : 0x20])]) : value;
  const long = ['OB', 'OW', 'UN', 'UT', 'SQ'].includes(vr);
  const h = Buffer.alloc(long ? 12 : 8);
  h.writeUInt16LE(tag >>> 16, 0);
  h.writeUInt16LE(tag & 0xffff, 2);
  h.write(vr, 4, 'latin1');
  if (long) h.writeUInt32LE(v.length, 8);
  else h.writeUInt16LE(v.length, 6);
  return Buffer.concat([h, v]);
}
