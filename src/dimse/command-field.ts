// PS3.7 Table E.1-1: Command Field values of the DIMSE-C services dcmget speaks.
export const COMMAND_FIELD = {
  C_STORE_RQ: 0x0001,
  C_STORE_RSP: 0x8001,
  C_GET_RQ: 0x0010,
  C_GET_RSP: 0x8010,
  C_FIND_RQ: 0x0020,
  C_FIND_RSP: 0x8020,
  C_MOVE_RQ: 0x0021,
  C_MOVE_RSP: 0x8021,
  C_ECHO_RQ: 0x0030,
  C_ECHO_RSP: 0x8030,
  C_CANCEL_RQ: 0x0fff,
} as const;

const NAMES = new Map<number, string>(Object.entries(COMMAND_FIELD).map(([k, v]) => [v, k.replace(/_/g, '-').replace('-RQ', '-RQ').replace('-RSP', '-RSP')]));

export function commandName(field: number): string {
  return NAMES.get(field) ?? `command 0x${field.toString(16).padStart(4, '0')}`;
}

/** PS3.7 9.1.1.1.9 etc.: priority MEDIUM 0, HIGH 1, LOW 2. */
export const PRIORITY = { MEDIUM: 0x0000, HIGH: 0x0001, LOW: 0x0002 } as const;
