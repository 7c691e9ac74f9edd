// PS3.7 Annex C (status classes) and the service-specific statuses of PS3.4:
// C-GET (C.4.3.1.4, Table C.4-3), C-MOVE (C.4.2.1.5, Table C.4-2), C-STORE (B.2.3, Table B.2-1), C-FIND (C.4.1.1.4), C-ECHO (A.4).

export type StatusCategory = 'success' | 'pending' | 'warning' | 'cancel' | 'failure';

/** PS3.7 C.1-C.5: the category a status code belongs to, whatever the service. */
export function statusCategory(status: number): StatusCategory {
  if (status === 0x0000) return 'success';
  if (status === 0xff00 || status === 0xff01) return 'pending';
  if (status === 0xfe00) return 'cancel';
  if (status === 0x0001 || (status & 0xf000) === 0xb000 || status === 0x0107 || status === 0x0116) return 'warning';
  return 'failure';
}

const GENERAL: Record<number, string> = {
  0x0000: 'Success',
  0xfe00: 'Cancel: sub-operations terminated due to Cancel indication',
  0x0105: 'Failure: no such attribute',
  0x0106: 'Failure: invalid attribute value',
  0x0107: 'Warning: attribute list error',
  0x0110: 'Failure: processing failure',
  0x0111: 'Failure: duplicate SOP Instance',
  0x0112: 'Failure: no such SOP Instance',
  0x0116: 'Warning: attribute value out of range',
  0x0117: 'Failure: invalid object instance',
  0x0118: 'Failure: no such SOP Class',
  0x0119: 'Failure: class-instance conflict',
  0x0120: 'Failure: missing attribute',
  0x0121: 'Failure: missing attribute value',
  0x0122: 'Failure: refused, SOP Class not supported',
  0x0124: 'Failure: refused, not authorized',
  0x0210: 'Failure: duplicate invocation',
  0x0211: 'Failure: unrecognized operation',
  0x0212: 'Failure: mistyped argument',
  0x0213: 'Failure: resource limitation',
  0xc411: 'Failure: refused, no handler for this service on the SCP',
};

const C_GET: Record<number, string> = {
  0xff00: 'Pending: sub-operations are continuing',
  0xb000: 'Warning: sub-operations complete, one or more failures or warnings',
  0xa701: 'Failure: refused, out of resources, unable to calculate number of matches',
  0xa702: 'Failure: refused, out of resources, unable to perform sub-operations',
  0xa900: 'Failure: identifier does not match SOP Class',
  0xaa00: 'Failure: none of the frames requested were found in the SOP Instance',
  0xaa01: 'Failure: unable to create new object for this SOP Class',
  0xaa02: 'Failure: unable to extract frames',
  0xaa03: 'Failure: time-based request received for a non-time-based original SOP Instance',
  0xaa04: 'Failure: invalid request',
};

/** PS3.4 Table C.4-2: C-MOVE's statuses are C-GET's, and one of its own. */
const C_MOVE: Record<number, string> = {
  ...C_GET,
  0xa801: 'Failure: refused, Move Destination unknown',
};

const C_STORE: Record<number, string> = {
  0xa700: 'Failure: refused, out of resources',
  0xa900: 'Failure: data set does not match SOP Class',
  0xc000: 'Failure: cannot understand',
  0xb000: 'Warning: coercion of data elements',
  0xb007: 'Warning: data set does not match SOP Class',
  0xb006: 'Warning: elements discarded',
};

const C_FIND: Record<number, string> = {
  0xff00: 'Pending: matches are continuing',
  0xff01: 'Pending: matches are continuing, some optional keys were not supported',
  0xa700: 'Failure: refused, out of resources',
  0xa900: 'Failure: identifier does not match SOP Class',
};

export type Service = 'C-GET' | 'C-MOVE' | 'C-STORE' | 'C-FIND' | 'C-ECHO';

/** "0xA702 Failure: refused, out of resources, unable to perform sub-operations" */
export function describeStatus(status: number, service: Service): string {
  const tables: Partial<Record<Service, Record<number, string>>> = { 'C-GET': C_GET, 'C-MOVE': C_MOVE, 'C-STORE': C_STORE, 'C-FIND': C_FIND };
  const table = tables[service] ?? {};
  const words = table[status] ?? GENERAL[status] ?? fallback(status);
  return `${formatStatus(status)} ${words}`;
}

function fallback(status: number): string {
  if ((status & 0xf000) === 0xc000) return 'Failure: unable to process';
  if ((status & 0xff00) === 0xa700) return 'Failure: refused, out of resources';
  switch (statusCategory(status)) {
    case 'warning': return 'Warning';
    case 'pending': return 'Pending';
    default: return 'Failure';
  }
}

export function formatStatus(status: number): string {
  return `0x${status.toString(16).toUpperCase().padStart(4, '0')}`;
}
