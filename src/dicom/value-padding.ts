// PS3.5 6.2: every value has an even length; a UI is padded with a NUL, other text with a space.
// One rule for the three encoders that write text values: the command set, the Part 10 File Meta
// and the flat data set writer.

/** The encoded length of a value of `bytes` bytes. */
export function paddedLength(bytes: number): number {
  return bytes + (bytes % 2);
}

/** The byte that pads a text value of this VR to an even length. */
export function padByte(vr: string): number {
  return vr === 'UI' ? 0x00 : 0x20;
}
