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
