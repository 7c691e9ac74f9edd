// The least a C-GET SCU written for Node can do, for `npm run bench` ("node floor"): one
// association, one study-level C-GET, every C-STORE sub-operation's data set written to a file as
// it arrives and answered Success once the file is closed; the next file is created right after
// each answer, while the PACS prepares the next instance (as dcmget does). No plan, no C-FIND, no checks of what
// arrives, no temporary name, no events, no options. It is not a client anyone should use: it is
// the measuring stick that tells what Node itself costs (its start, its event loop, its sockets and
// its synchronous writes) from what dcmget's own work costs, in the same rounds as getscu.
// Plain JavaScript, one file, built-ins only: nothing to load but itself. So it has its own small
// encoders (an explicit VR element as bench/workloads.ts writes one, for instance): importing a .ts
// file would load Node's type stripper (~10 MB, and its start) into the process being measured.
//
//   node bench/node-floor.mjs HOST PORT CALLED_AET STUDY_UID OUT_DIR SOP_CLASS[,SOP_CLASS...] [MAX_PDU]
//
// Exit 0 when the C-GET's final status is Success (0x0000), 1 otherwise.
import fs from 'node:fs';
import net from 'node:net';

const [host, port, calledAet, studyUid, outDir, classList, maxPduArg] = process.argv.slice(2);
if (!classList) {
  console.error('usage: node bench/node-floor.mjs HOST PORT CALLED_AET STUDY_UID OUT_DIR SOP_CLASS[,SOP_CLASS...] [MAX_PDU]');
  process.exit(2);
}
const MAX_PDU = Number(maxPduArg ?? 131072);
const STUDY_ROOT_GET = '1.2.840.10008.5.1.4.1.2.2.3';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLEMENTATION_UID = '1.2.826.0.1.3680043.10.543.9.1';
const classes = classList.split(',');

/** A UID or AE value padded to even length (UIDs with NUL, PS3.5 9.1). */
const uidBytes = (uid) => Buffer.from(uid.length % 2 ? `${uid}\0` : uid, 'latin1');
const item = (type, body) => {
  const head = Buffer.alloc(4);
  head[0] = type;
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([head, body]);
};
const pdu = (type, body) => {
  const head = Buffer.alloc(6);
  head[0] = type;
  head.writeUInt32BE(body.length, 2);
  return Buffer.concat([head, body]);
};
const aeField = (ae) => Buffer.from(ae.padEnd(16, ' ').slice(0, 16), 'latin1');

// PS3.8 9.3.2: the A-ASSOCIATE-RQ. Context 1 is the C-GET; 3, 5, ... one per storage class, whose
// SCP role we take (PS3.7 D.3.3.4).
function associateRq() {
  const contexts = [[STUDY_ROOT_GET, [IMPLICIT_LE, EXPLICIT_LE]], ...classes.map((c) => [c, [EXPLICIT_LE, IMPLICIT_LE]])];
  const pcs = contexts.map(([abstract, syntaxes], i) => item(0x20, Buffer.concat([
    Buffer.from([1 + 2 * i, 0, 0, 0]), item(0x30, Buffer.from(abstract, 'latin1')), ...syntaxes.map((ts) => item(0x40, Buffer.from(ts, 'latin1'))),
  ])));
  const maxLength = Buffer.alloc(4);
  maxLength.writeUInt32BE(MAX_PDU);
  const roles = classes.map((c) => {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(c.length);
    return item(0x54, Buffer.concat([len, Buffer.from(c, 'latin1'), Buffer.from([0, 1])]));
  });
  const user = item(0x50, Buffer.concat([item(0x51, maxLength), item(0x52, Buffer.from(IMPLEMENTATION_UID, 'latin1')), ...roles]));
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(1, 0);
  aeField(calledAet).copy(fixed, 4);
  aeField('NODEFLOOR').copy(fixed, 20);
  return pdu(0x01, Buffer.concat([fixed, item(0x10, Buffer.from('1.2.840.10008.3.1.1.1', 'latin1')), ...pcs, user]));
}

/** Accepted context id -> transfer syntax, from the A-ASSOCIATE-AC's items (PS3.8 9.3.3). */
function acceptedContexts(body) {
  const accepted = new Map();
  for (let i = 68; i + 4 <= body.length;) {
    const type = body[i];
    const len = body.readUInt16BE(i + 2);
    if (type === 0x21 && body[i + 6] === 0) {
      const ts = body.toString('latin1', i + 12, i + 12 + body.readUInt16BE(i + 10)).replace(/\0+$/, '');
      accepted.set(body[i + 4], ts);
    }
    i += 4 + len;
  }
  return accepted;
}

/**
 * One data element (PS3.5 7.1), tag as 0xGGGGEEEE: Implicit VR Little Endian (command sets, PS3.7
 * E.1), or Explicit VR Little Endian, where OB has a 4-byte length (PS3.5 7.1.2).
 */
function element(tag, vr, value, explicit = false) {
  const long = explicit && vr === 'OB';
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(tag >>> 16, 0);
  head.writeUInt16LE(tag & 0xffff, 2);
  if (!explicit) head.writeUInt32LE(value.length, 4);
  else {
    head.write(vr, 4, 'latin1');
    if (long) head.writeUInt32LE(value.length, 8);
    else head.writeUInt16LE(value.length, 6);
  }
  return Buffer.concat([head, value]);
}
const us = (n) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
/** PS3.7 E.1: a command set, its elements in ascending tag order behind its group length. */
function commandSet(elements) {
  const body = Buffer.concat(elements);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length);
  return Buffer.concat([element(0x00000000, 'UL', length), body]);
}
/** One P-DATA-TF holding one whole PDV (PS3.8 9.3.5). */
function pdataTf(contextId, control, value) {
  const head = Buffer.alloc(6);
  head.writeUInt32BE(value.length + 2, 0);
  head[4] = contextId;
  head[5] = control;
  return pdu(0x04, Buffer.concat([head, value]));
}

/** The fields of a command set this client reads. */
function decodeCommand(bytes) {
  const c = {};
  for (let i = 0; i + 8 <= bytes.length;) {
    const element = bytes.readUInt16LE(i + 2);
    const len = bytes.readUInt32LE(i + 4);
    const v = bytes.subarray(i + 8, i + 8 + len);
    if (element === 0x0002) c.classUid = v.toString('latin1').replace(/\0+$/, '');
    else if (element === 0x0100) c.field = v.readUInt16LE(0);
    else if (element === 0x0110) c.messageId = v.readUInt16LE(0);
    else if (element === 0x0900) c.status = v.readUInt16LE(0);
    else if (element === 0x1000) c.instanceUid = v.toString('latin1').replace(/\0+$/, '');
    i += 8 + len;
  }
  return c;
}

/** PS3.10 7.1: preamble, "DICM" and the File Meta Information, Explicit VR Little Endian. */
function part10Header(classUid, instanceUid, syntax) {
  const meta = Buffer.concat([
    element(0x00020001, 'OB', Buffer.from([0, 1]), true),
    element(0x00020002, 'UI', uidBytes(classUid), true),
    element(0x00020003, 'UI', uidBytes(instanceUid), true),
    element(0x00020010, 'UI', uidBytes(syntax), true),
    element(0x00020012, 'UI', uidBytes(IMPLEMENTATION_UID), true),
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(meta.length);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), element(0x00020000, 'UL', length, true), meta]);
}

// Reads land in one reused buffer (as in dcmget): no allocation a read; what outlives the call is copied.
const socket = net.connect({
  host, port: Number(port), noDelay: true,
  onread: { buffer: Buffer.allocUnsafe(256 * 1024), callback: (n, buf) => { onChunk(buf.subarray(0, n)); } },
});
let accepted = new Map();
let command = [];
let store; // the C-STORE sub-operation whose data set is arriving: { fd, c, contextId }
let finalStatus;
let files = 0;
/** Files are numbered, not named by UID: nothing from the network becomes a path. */
const createNext = () => fs.openSync(`${outDir}/${files}.dcm`, 'w');
let nextFd = createNext();

function onCommand(contextId, c) {
  if (c.field === 0x0001) {
    const fd = nextFd;
    nextFd = undefined;
    fs.writeSync(fd, part10Header(c.classUid, c.instanceUid, accepted.get(contextId)));
    store = { fd, c, contextId };
  } else if (c.field === 0x8010 && c.status !== 0xff00) {
    finalStatus = c.status;
    socket.write(pdu(0x05, Buffer.alloc(4))); // A-RELEASE-RQ, PS3.8 9.3.6
  }
}

function onDataEnd() {
  const { fd, c, contextId } = store;
  fs.closeSync(fd);
  files += 1;
  store = undefined;
  socket.write(pdataTf(contextId, 0x03, commandSet([
    element(0x00000002, 'UI', uidBytes(c.classUid)), element(0x00000100, 'US', us(0x8001)), element(0x00000120, 'US', us(c.messageId)),
    element(0x00000800, 'US', us(0x0101)), element(0x00000900, 'US', us(0x0000)), element(0x00001000, 'UI', uidBytes(c.instanceUid)),
  ])));
  nextFd = createNext();
}

function getRequest() {
  if (!accepted.has(1)) throw new Error('the peer did not accept Study Root C-GET');
  // The Identifier: Query/Retrieve Level and Study Instance UID, in the context's syntax.
  const explicit = accepted.get(1) !== IMPLICIT_LE;
  const identifier = Buffer.concat([
    element(0x00080052, 'CS', Buffer.from('STUDY ', 'latin1'), explicit),
    element(0x0020000d, 'UI', uidBytes(studyUid), explicit),
  ]);
  const cmd = commandSet([
    element(0x00000002, 'UI', uidBytes(STUDY_ROOT_GET)), element(0x00000100, 'US', us(0x0010)), element(0x00000110, 'US', us(1)),
    element(0x00000700, 'US', us(0)), element(0x00000800, 'US', us(0x0000)),
  ]);
  return Buffer.concat([pdataTf(1, 0x03, cmd), pdataTf(1, 0x02, identifier)]);
}

function onPdu(type, body) {
  if (type === 0x02) {
    accepted = acceptedContexts(body);
    socket.write(getRequest());
  } else if (type === 0x06) {
    socket.end();
  } else {
    console.error(`node-floor: PDU type ${type} (rejected or aborted)`);
    process.exitCode = 1;
    socket.destroy();
  }
}

// A streaming PDU reader: data set bytes go to the file straight from the read buffer.
let pending = Buffer.alloc(0);
let pduLeft = 0; // bytes of the current P-DATA-TF not yet read
let pdvLeft = 0; // bytes of the current PDV's value not yet read
let pdvContext = 0;
let pdvControl = 0;
function onChunk(chunk) {
  const buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
  pending = Buffer.alloc(0);
  let i = 0;
  while (i < buf.length) {
    if (pdvLeft > 0) {
      const n = Math.min(pdvLeft, buf.length - i);
      if (pdvControl & 1) command.push(Buffer.from(buf.subarray(i, i + n)));
      else fs.writeSync(store.fd, buf, i, n);
      i += n;
      pdvLeft -= n;
      pduLeft -= n;
      if (pdvLeft === 0) endPdv();
    } else if (pduLeft > 0) {
      if (buf.length - i < 6) break;
      pdvLeft = buf.readUInt32BE(i) - 2;
      pdvContext = buf[i + 4];
      pdvControl = buf[i + 5];
      i += 6;
      pduLeft -= 6;
      if (pdvLeft === 0) endPdv();
    } else {
      if (buf.length - i < 6) break;
      const type = buf[i];
      const length = buf.readUInt32BE(i + 2);
      if (type === 0x04) {
        pduLeft = length;
        i += 6;
        continue;
      }
      if (buf.length - i < 6 + length) break;
      onPdu(type, buf.subarray(i + 6, i + 6 + length));
      i += 6 + length;
    }
  }
  if (i < buf.length) pending = Buffer.from(buf.subarray(i));
}

function endPdv() {
  if (!(pdvControl & 2)) return;
  if (pdvControl & 1) {
    const bytes = Buffer.concat(command);
    command = [];
    onCommand(pdvContext, decodeCommand(bytes));
  } else {
    onDataEnd();
  }
}

socket.on('connect', () => socket.write(associateRq()));
socket.on('error', (err) => {
  console.error(`node-floor: ${err.message}`);
  process.exitCode = 1;
});
socket.on('close', () => {
  if (nextFd !== undefined) {
    fs.closeSync(nextFd);
    fs.unlinkSync(`${outDir}/${files}.dcm`);
  }
  if (finalStatus !== 0) {
    console.error(`node-floor: final status ${finalStatus === undefined ? 'none' : `0x${finalStatus.toString(16)}`}, ${files} files`);
    process.exitCode = 1;
  }
});
