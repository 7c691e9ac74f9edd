// PS3.8 9.3.6 and 9.3.7: A-RELEASE-RQ and A-RELEASE-RP, a 4-byte reserved body each.
import { PDU_TYPE } from './pdu-types.ts';

export const RELEASE_RQ = Buffer.from([PDU_TYPE.A_RELEASE_RQ, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
export const RELEASE_RP = Buffer.from([PDU_TYPE.A_RELEASE_RP, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
