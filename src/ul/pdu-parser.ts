// PS3.8 9.3: a streaming PDU parser. Control PDUs are gathered (they are small and bounded);
// P-DATA-TF PDVs are handed on as views of the socket's chunks while they arrive, so a data set
// is never held whole in memory (ARCHITECTURE.md: the receive path never decodes a received dataset).
import { decodeAbort } from './a-abort.ts';
import { decodeAssociateAc, decodeAssociateRq } from './a-associate.ts';
import { decodeAssociateRj } from './a-associate-rj.ts';
import { ABORT_REASON, PDU_HEADER_LENGTH, PDU_TYPE, PDV_HEADER_LENGTH, type ControlPdu } from './pdu-types.ts';
import { ProtocolError } from './protocol-error.ts';

export interface PduHandler {
  onControlPdu(pdu: ControlPdu): void;
  /** A P-DATA-TF PDU begins (its header passed the checks); its PDVs follow through onPdv. */
  onPDataTf?(): void;
  /**
   * One fragment of a PDV's data. `end` is true on the PDV's final fragment (possibly empty);
   * `control` is the message control header (PS3.8 E.2). `data` is a view valid only during the call.
   */
  onPdv(contextId: number, control: number, data: Buffer, end: boolean): void;
}

export interface PduParserOptions {
  /** The Maximum Length we announced (PS3.8 D.1); 0 means we accept any P-DATA-TF length. */
  maxPDataLength: number;
  /** Bound on the other PDUs, which are gathered whole. */
  maxControlPduLength?: number;
}

const EMPTY = Buffer.alloc(0);
const DEFAULT_MAX_CONTROL_PDU = 1024 * 1024;

const STATE_PDU_HEADER = 0;
const STATE_PDV_HEADER = 1;
const STATE_PDV_DATA = 2;
const STATE_CONTROL_BODY = 3;

export class PduParser {
  private readonly handler: PduHandler;
  private readonly maxPDataLength: number;
  private readonly maxControlLength: number;
  private state = STATE_PDU_HEADER;
  private readonly header = Buffer.alloc(PDU_HEADER_LENGTH);
  private headerFill = 0;
  private pduType = 0;
  private pduRemaining = 0;
  private pdvRemaining = 0;
  private contextId = 0;
  private control = 0;
  private body: Buffer = EMPTY;
  private bodyFill = 0;
  private stopped = false;

  constructor(handler: PduHandler, options: PduParserOptions) {
    this.handler = handler;
    this.maxPDataLength = options.maxPDataLength;
    this.maxControlLength = options.maxControlPduLength ?? DEFAULT_MAX_CONTROL_PDU;
  }

  /** Stops handing anything on, e.g. once the association is aborted mid-chunk. */
  stop(): void {
    this.stopped = true;
  }

  /** True between PDUs: a connection closing now has lost nothing mid-PDU. */
  get idle(): boolean {
    return this.state === STATE_PDU_HEADER && this.headerFill === 0;
  }

  /** Throws ProtocolError on anything PS3.8 does not allow. */
  push(chunk: Buffer): void {
    let offset = 0;
    const length = chunk.length;
    while (offset < length && !this.stopped) {
      switch (this.state) {
        case STATE_PDU_HEADER:
        case STATE_PDV_HEADER: {
          const need = (this.state === STATE_PDU_HEADER ? PDU_HEADER_LENGTH : PDV_HEADER_LENGTH) - this.headerFill;
          const take = Math.min(need, length - offset);
          chunk.copy(this.header, this.headerFill, offset, offset + take);
          this.headerFill += take;
          offset += take;
          if (take === need) {
            this.headerFill = 0;
            if (this.state === STATE_PDU_HEADER) this.onPduHeader();
            else this.onPdvHeader();
          }
          break;
        }
        case STATE_PDV_DATA: {
          const take = Math.min(this.pdvRemaining, length - offset);
          this.pdvRemaining -= take;
          this.pduRemaining -= take;
          const end = this.pdvRemaining === 0;
          const view = chunk.subarray(offset, offset + take);
          offset += take;
          if (end) this.afterPdv();
          this.handler.onPdv(this.contextId, this.control, view, end);
          break;
        }
        case STATE_CONTROL_BODY: {
          const take = Math.min(this.body.length - this.bodyFill, length - offset);
          chunk.copy(this.body, this.bodyFill, offset, offset + take);
          this.bodyFill += take;
          offset += take;
          if (this.bodyFill === this.body.length) this.onControlBody();
          break;
        }
      }
    }
  }

  private onPduHeader(): void {
    const type = this.header[0]!;
    const pduLength = this.header.readUInt32BE(2);
    this.pduType = type;
    if (type === PDU_TYPE.P_DATA_TF) {
      if (this.maxPDataLength !== 0 && pduLength > this.maxPDataLength) {
        throw new ProtocolError(`P-DATA-TF of ${pduLength} bytes exceeds the Maximum Length of ${this.maxPDataLength} we announced (PS3.8 D.1)`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
      }
      if (pduLength < PDV_HEADER_LENGTH) throw new ProtocolError(`P-DATA-TF of ${pduLength} bytes holds no PDV`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
      this.pduRemaining = pduLength;
      this.state = STATE_PDV_HEADER;
      this.handler.onPDataTf?.();
      return;
    }
    if (type < PDU_TYPE.A_ASSOCIATE_RQ || type > PDU_TYPE.A_ABORT) {
      throw new ProtocolError(`unrecognized PDU type 0x${type.toString(16).padStart(2, '0')}`, ABORT_REASON.UNRECOGNIZED_PDU);
    }
    if (pduLength > this.maxControlLength) {
      throw new ProtocolError(`PDU type 0x0${type} claims ${pduLength} bytes, over the ${this.maxControlLength} accepted`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
    }
    if (type >= PDU_TYPE.A_ASSOCIATE_RJ && type !== PDU_TYPE.P_DATA_TF && pduLength !== 4) {
      throw new ProtocolError(`PDU type 0x0${type} must be 4 bytes long, not ${pduLength}`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
    }
    this.body = Buffer.allocUnsafe(pduLength);
    this.bodyFill = 0;
    this.state = STATE_CONTROL_BODY;
    if (pduLength === 0) this.onControlBody();
  }

  private onPdvHeader(): void {
    const itemLength = this.header.readUInt32BE(0);
    // PS3.8 9.3.5.1: the item length counts the context ID and control header bytes.
    if (itemLength < 2 || itemLength + 4 > this.pduRemaining) {
      throw new ProtocolError(`PDV item length ${itemLength} does not fit the ${this.pduRemaining} bytes left in its P-DATA-TF`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
    }
    this.contextId = this.header[4]!;
    this.control = this.header[5]!;
    this.pduRemaining -= PDV_HEADER_LENGTH;
    this.pdvRemaining = itemLength - 2;
    if (this.pdvRemaining === 0) {
      this.afterPdv();
      this.handler.onPdv(this.contextId, this.control, EMPTY, true);
    } else {
      this.state = STATE_PDV_DATA;
    }
  }

  private afterPdv(): void {
    this.state = this.pduRemaining === 0 ? STATE_PDU_HEADER : STATE_PDV_HEADER;
  }

  private onControlBody(): void {
    const body = this.body;
    this.body = EMPTY;
    this.state = STATE_PDU_HEADER;
    this.handler.onControlPdu(decodeControlPdu(this.pduType, body));
  }
}

export function decodeControlPdu(type: number, body: Buffer): ControlPdu {
  switch (type) {
    case PDU_TYPE.A_ASSOCIATE_RQ: return decodeAssociateRq(body);
    case PDU_TYPE.A_ASSOCIATE_AC: return decodeAssociateAc(body);
    case PDU_TYPE.A_ASSOCIATE_RJ: return decodeAssociateRj(body);
    case PDU_TYPE.A_RELEASE_RQ: return { type: PDU_TYPE.A_RELEASE_RQ };
    case PDU_TYPE.A_RELEASE_RP: return { type: PDU_TYPE.A_RELEASE_RP };
    case PDU_TYPE.A_ABORT: return decodeAbort(body);
    default: throw new ProtocolError(`unrecognized PDU type 0x${type.toString(16)}`, ABORT_REASON.UNRECOGNIZED_PDU);
  }
}
