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
 * getscu's long `--patient` and `--study` choose the information model; dcmget's `--study UID`
 * names a study. `--study` followed by something that is not a UID list is getscu's meaning.
 */
const UID_LIST = /^[0-9.]+([,\\][0-9.]+)*$/;

export function expandGetscuFlags(argv: string[]): string[] {
  const out: string[] = [];
  let passthrough = false;
  argv.forEach((arg, i) => {
    if (passthrough || arg === '--') {
      passthrough = true;
      out.push(arg);
      return;
    }
    if (arg === '--patient') out.push('--patient-root');
    else if (arg === '--study' && !UID_LIST.test(argv[i + 1] ?? '')) out.push('--study-root');
    else out.push(ALIASES[arg] ?? arg);
  });
  return out;
}
