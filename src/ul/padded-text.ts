// UIDs, AE titles and other short strings on the wire are padded to an even length, UIDs with a
// NUL and the rest with a space (PS3.5 6.2); lenient peers add more, or lead with spaces.

/** The text without its trailing NUL or space padding and its leading spaces. */
export function decodePaddedText(value: Buffer): string {
  let end = value.length;
  while (end > 0 && (value[end - 1] === 0x00 || value[end - 1] === 0x20)) end--;
  let start = 0;
  while (start < end && value[start] === 0x20) start++;
  return value.toString('latin1', start, end);
}
