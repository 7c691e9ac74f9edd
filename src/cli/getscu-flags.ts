// DCMTK users type getscu's single-dash long options (-aet, -aec, -od, -pdu, -to, -ta, -td).
// Commander takes one-letter short flags only, so these are rewritten to their long forms first.
const ALIASES: Record<string, string> = {
  '-aet': '--aetitle',
  '-aec': '--call',
  '-od': '--output-directory',
  '-pdu': '--max-pdu',
  '-to': '--timeout',
  '-ta': '--acse-timeout',
  '-td': '--dimse-timeout',
};

export function expandGetscuFlags(argv: string[]): string[] {
  const out: string[] = [];
  let passthrough = false;
  for (const arg of argv) {
    if (passthrough || arg === '--') {
      passthrough = true;
      out.push(arg);
      continue;
    }
    out.push(ALIASES[arg] ?? arg);
  }
  return out;
}
