// UIDs, AE titles and other short strings on the wire are padded to an even length, UIDs with a
// NUL and the rest with a space (PS3.5 6.2); lenient peers add more, or lead with spaces.

/** The text without its trailing NUL or space padding and its leading spaces. */
export function decodePaddedText(value: Buffer): string {
  return paddedTextAt(value, 0, value.length);
}

/** The same for buffer[from, to), without a Buffer made for the field. */
export function paddedTextAt(buffer: Buffer, from: number, to: number): string {
  let end = to;
  while (end > from && (buffer[end - 1] === 0x00 || buffer[end - 1] === 0x20)) end--;
  let start = from;
  while (start < end && buffer[start] === 0x20) start++;
  return buffer.toString('latin1', start, end);
}
