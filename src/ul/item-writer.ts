// The association PDUs are nested items, each a type, a reserved byte and a length before its
// value (PS3.8 9.3.1, 9.3.2-9.3.3, Annex D). They are written here into one buffer, each length
// filled in when its item ends. A Buffer per item joined with Buffer.concat cost ~1-2 ms for a
// full proposal of 128 contexts on a cold start, in V8's interpreter: more than the peer's own
// negotiation on loopback.

const START_SIZE = 4096;

export class ItemWriter {
  private buffer = Buffer.allocUnsafe(START_SIZE);
  private offset = 0;

  private room(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    const larger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.offset + bytes));
    this.buffer.copy(larger, 0, 0, this.offset);
    this.buffer = larger;
  }

  u8(value: number): void {
    this.room(1);
    this.buffer[this.offset++] = value;
  }

  u16(value: number): void {
    this.room(2);
    this.offset = this.buffer.writeUInt16BE(value, this.offset);
  }

  u32(value: number): void {
    this.room(4);
    this.offset = this.buffer.writeUInt32BE(value, this.offset);
  }

  zeros(count: number): void {
    this.room(count);
    this.buffer.fill(0, this.offset, this.offset + count);
    this.offset += count;
  }

  bytes(value: Uint8Array): void {
    this.room(value.length);
    this.buffer.set(value, this.offset);
    this.offset += value.length;
  }

  /** One byte per character, as Buffer.from(text, 'latin1') gives. */
  latin1(text: string): void {
    this.room(text.length);
    this.offset += this.buffer.write(text, this.offset, text.length, 'latin1');
  }

  /** PS3.8 9.3.2: an AE title is 16 bytes, padded with spaces. */
  aeTitle(title: string): void {
    this.room(16);
    this.buffer.fill(0x20, this.offset, this.offset + 16);
    this.buffer.write(title, this.offset, 16, 'latin1');
    this.offset += 16;
  }

  /** A 2-byte length, then the bytes (the UIDs and fields inside user information sub-items). */
  lengthPrefixed(value: string | Uint8Array): void {
    this.u16(value.length);
    if (typeof value === 'string') this.latin1(value);
    else this.bytes(value);
  }

  /** Starts an item; `end` fills in its length. Returns where that length goes. */
  begin(type: number): number {
    this.room(4);
    this.buffer[this.offset] = type;
    this.buffer[this.offset + 1] = 0;
    this.offset += 4;
    return this.offset - 2;
  }

  end(lengthAt: number): void {
    const length = this.offset - lengthAt - 2;
    if (length > 0xffff) {
      throw new RangeError(`item 0x${this.buffer[lengthAt - 2]!.toString(16)} is ${length} bytes, over the 65535 an item can hold`);
    }
    this.buffer.writeUInt16BE(length, lengthAt);
  }

  /** An item whose value is text. */
  textItem(type: number, text: string): void {
    const at = this.begin(type);
    this.latin1(text);
    this.end(at);
  }

  /** Starts a PDU (PS3.8 9.3.1: type, reserved, 4-byte length); `endPdu` fills in the length. */
  beginPdu(type: number): void {
    if (this.offset !== 0) throw new Error('a PDU starts an ItemWriter');
    this.u8(type);
    this.zeros(5);
  }

  /** The whole PDU, its length filled in. */
  endPdu(): Buffer {
    this.buffer.writeUInt32BE(this.offset - 6, 2);
    return this.buffer.subarray(0, this.offset);
  }
}
