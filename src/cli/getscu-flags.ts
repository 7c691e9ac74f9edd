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

/**
 * getscu's long `--patient` chooses the information model (dcmget's `--patient-root`). Its long
 * `--study` cannot be carried over: in dcmget, `--study UID` names a study (getscu users type -S,
 * which stays); guessing from the next argument would mistake `--study 10.0.0.1 104` either way.
 */
export function expandGetscuFlags(argv: string[]): string[] {
  const out: string[] = [];
  let passthrough = false;
  argv.forEach((arg) => {
    if (passthrough || arg === '--') {
      passthrough = true;
      out.push(arg);
      return;
    }
    out.push(arg === '--patient' ? '--patient-root' : ALIASES[arg] ?? arg);
  });
  return out;
}
