// A C-FIND / C-GET SCP built on the npm package dcmjs-dimse (its Scp class), serving the
// DICOM files of one folder. Run as a child process by test/support/dcmjs-dimse.ts:
//
//   node test/support/dcmjs-dimse-scp.mjs --port N --aet DCMJS --dir FOLDER [--callers A,B]
//
// It prints "listening <port>" on stdout once the port accepts connections, and stops on
// SIGTERM. What it does is what the library does: each instance is read with dcmjs, and on
// the C-STORE sub-operation dcmjs-dimse picks the accepted context of the instance's class
// whose syntax is the stored one, else the LAST accepted context of the class, transcodes the
// data set to that context's syntax and writes it again with dcmjs. So what arrives is the
// same attributes, not the same bytes.
//
// The Query/Retrieve side is ours (the library leaves it to the application): hierarchical
// matching on the unique keys (single values and UID lists), `*`/`?` wildcards on the other
// keys, Available Transfer Syntax UID (0008,3002) answered at IMAGE level from each file's
// meta, SOP Classes in Study (0008,0062) not answered (many PACS do not), Number of
// Study/Series Related Instances answered. Listens on 127.0.0.1 only: dcmjs-dimse's Server
// binds every interface, so the listener is our own net.Server handing sockets to the Scp class,
// as Server.listen does.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import dimse from 'dcmjs-dimse';

const { Dataset, Scp, Transcoding } = dimse;
const { CStoreRequest } = dimse.requests;
const { CEchoResponse, CFindResponse, CGetResponse } = dimse.responses;
const { Status, PresentationContextResult, RejectResult, RejectSource, RejectReason, TransferSyntax } = dimse.constants;

const VERIFICATION = '1.2.840.10008.1.1';
const FIND = new Set(['1.2.840.10008.5.1.4.1.2.1.1', '1.2.840.10008.5.1.4.1.2.2.1']);
const GET = new Set(['1.2.840.10008.5.1.4.1.2.1.3', '1.2.840.10008.5.1.4.1.2.2.3']);
const UNCOMPRESSED = [TransferSyntax.ExplicitVRLittleEndian, TransferSyntax.ImplicitVRLittleEndian];
const SUPPORTED = new Set(Object.values(TransferSyntax));
const WARNING_MIN = 0xb000;
const WARNING_MAX = 0xbfff;

function args(argv) {
  const out = { port: 0, aet: 'DCMJS', dir: '', callers: undefined, acceptDeflated: false };
  for (let i = 2; i < argv.length; i += 2) {
    const v = argv[i + 1] ?? '';
    if (argv[i] === '--port') out.port = Number(v);
    else if (argv[i] === '--aet') out.aet = v;
    else if (argv[i] === '--dir') out.dir = v;
    else if (argv[i] === '--callers') out.callers = new Set(v.split(',').filter(Boolean));
    else if (argv[i] === '--accept-deflated') out.acceptDeflated = v === 'yes';
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!Number.isInteger(out.port) || out.port <= 0 || !out.dir) throw new Error('usage: --port N --aet AET --dir FOLDER [--callers A,B] [--accept-deflated yes]');
  return out;
}

const LEVEL_KEYS = {
  PATIENT: ['PatientID'],
  STUDY: ['PatientID', 'StudyInstanceUID'],
  SERIES: ['PatientID', 'StudyInstanceUID', 'SeriesInstanceUID'],
  IMAGE: ['PatientID', 'StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID'],
};
const UNIQUE = { PATIENT: 'PatientID', STUDY: 'StudyInstanceUID', SERIES: 'SeriesInstanceUID', IMAGE: 'SOPInstanceUID' };

/** One record per file: the attributes C-FIND matches and returns, the file's syntax. */
const indexCache = new Map();
function loadIndex(dir) {
  const files = fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.join(d.parentPath, d.name)).sort();
  return files.map((file) => {
    if (!indexCache.has(file)) {
      const ds = Dataset.fromFile(file);
      indexCache.set(file, { file, transferSyntaxUid: ds.getTransferSyntaxUid(), attrs: ds.getElements() });
    }
    return indexCache.get(file);
  });
}

const asList = (v) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const text = (v) => {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object' && !Array.isArray(v)) return v.Alphabetic ?? '';
  return String(Array.isArray(v) ? (v[0] && typeof v[0] === 'object' ? v[0].Alphabetic ?? '' : v[0] ?? '') : v);
};

/** PS3.4 C.2.2.2: single value, list of UIDs, wildcard (* and ?), universal (empty). */
function matches(key, wanted, record) {
  const values = asList(wanted).map((w) => (typeof w === 'object' && w !== null ? w.Alphabetic ?? '' : String(w)));
  if (values.length === 0 || values.every((v) => v === '')) return true;
  const have = text(record.attrs[key]);
  return values.some((v) => {
    if (!/[*?]/.test(v)) return v === have;
    const re = new RegExp(`^${v.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    return re.test(have);
  });
}

function match(index, query) {
  const level = String(query.QueryRetrieveLevel ?? 'STUDY');
  const keys = Object.keys(query).filter((k) => k !== 'QueryRetrieveLevel' && k !== 'SpecificCharacterSet' && /^[A-Z]/.test(k));
  const own = LEVEL_KEYS[level] ?? LEVEL_KEYS.STUDY;
  return {
    level,
    records: index.filter((r) => keys.every((k) => {
      const q = query[k];
      // Only the keys of the level and above are matched; other return keys are universal.
      if (!own.includes(k) && ['SOPInstanceUID', 'SeriesInstanceUID', 'StudyInstanceUID'].includes(k)) return true;
      if (k === 'AvailableTransferSyntaxUID' || k === 'SOPClassesInStudy' || /^NumberOf/.test(k)) return true;
      return matches(k, q, r);
    })),
  };
}

/** One answer per distinct entity at the level, with the keys asked for. */
function findAnswers(index, query) {
  const { level, records } = match(index, query);
  const unique = UNIQUE[level] ?? UNIQUE.STUDY;
  const groups = new Map();
  for (const r of records) {
    const k = text(r.attrs[unique]);
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0];
    const out = { QueryRetrieveLevel: level };
    for (const k of Object.keys(query)) {
      if (k === 'QueryRetrieveLevel' || !/^[A-Z]/.test(k)) continue;
      if (k === 'AvailableTransferSyntaxUID') out[k] = level === 'IMAGE' ? first.transferSyntaxUid : '';
      else if (k === 'NumberOfStudyRelatedInstances' || k === 'NumberOfSeriesRelatedInstances') out[k] = String(group.length);
      else if (k === 'SOPClassesInStudy') out[k] = '';
      else out[k] = first.attrs[k] ?? '';
    }
    return out;
  });
}

function createScpClass(config) {
  return class FolderScp extends Scp {
    constructor(socket, opts) {
      super(socket, opts);
      this.association = undefined;
      this.cancelled = new Set();
    }

    associationRequested(association) {
      this.association = association;
      // Files added to the folder since the last association are served too.
      config.index = loadIndex(config.dir);
      if (config.callers && !config.callers.has(association.getCallingAeTitle())) {
        this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CallingAeNotRecognized);
        return;
      }
      if (association.getCalledAeTitle() !== config.aet) {
        this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CalledAeNotRecognized);
        return;
      }
      for (const c of association.getPresentationContexts()) {
        const context = association.getPresentationContext(c.id);
        const abstract = context.getAbstractSyntaxUid();
        const offered = context.getTransferSyntaxUids();
        const query = abstract === VERIFICATION || FIND.has(abstract) || GET.has(abstract);
        // Storage contexts: every class (the C-STORE sub-operations go back on them), the
        // first proposed syntax dcmjs-dimse can write. Not Deflated: dcmjs writes the data set
        // undeflated under that label (verified with 0.3.3), unless --accept-deflated shows it.
        const ts = query ? offered.find((t) => UNCOMPRESSED.includes(t))
          : offered.find((t) => SUPPORTED.has(t) && (config.acceptDeflated || t !== TransferSyntax.DeflatedExplicitVRLittleEndian));
        if (ts) context.setResult(PresentationContextResult.Accept, ts);
        else context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
      }
      this.sendAssociationAccept();
    }

    cEchoRequest(request, callback) {
      const response = CEchoResponse.fromRequest(request);
      response.setStatus(Status.Success);
      callback(response);
    }

    cFindRequest(request, callback) {
      const responses = findAnswers(config.index, request.getDataset().getElements()).map((answer) => {
        const r = CFindResponse.fromRequest(request);
        r.setStatus(Status.Pending);
        r.setDataset(new Dataset(answer));
        return r;
      });
      const final = CFindResponse.fromRequest(request);
      final.setStatus(Status.Success);
      callback([...responses, final]);
    }

    cCancelRequest(request) {
      this.cancelled.add(request.getMessageIdBeingRespondedTo());
    }

    cGetRequest(request, callback) {
      const { records } = match(config.index, request.getDataset().getElements());
      const counts = { remaining: records.length, completed: 0, failed: 0, warning: 0 };
      const failedUids = [];
      const messageId = request.getMessageId();
      const pending = () => {
        const r = CGetResponse.fromRequest(request);
        r.setStatus(Status.Pending);
        r.setRemaining(counts.remaining);
        r.setCompleted(counts.completed);
        r.setFailures(counts.failed);
        r.setWarnings(counts.warning);
        this.sendResponse(request, r);
      };
      const finish = () => {
        const r = CGetResponse.fromRequest(request);
        const cancelled = this.cancelled.has(messageId);
        // PS3.4 C.4.3.1.4: B000 when some failed, A702 when all failed, FE00 after C-CANCEL.
        r.setStatus(cancelled ? Status.Cancel : counts.failed === 0 && counts.warning === 0 ? Status.Success
          : counts.completed === 0 && counts.warning === 0 ? Status.OutOfResourcesSubOperations : WARNING_MIN);
        if (cancelled) r.setRemaining(counts.remaining);
        r.setCompleted(counts.completed);
        r.setFailures(counts.failed);
        r.setWarnings(counts.warning);
        if (failedUids.length > 0) r.setDataset(new Dataset({ FailedSOPInstanceUIDList: failedUids.length === 1 ? failedUids[0] : failedUids }));
        callback(r);
      };
      const next = (i) => {
        if (i >= records.length || this.cancelled.has(messageId)) {
          finish();
          return;
        }
        const record = records[i];
        const uid = text(record.attrs.SOPInstanceUID);
        const failed = () => {
          counts.failed++;
          failedUids.push(uid);
        };
        let store;
        try {
          store = new CStoreRequest(record.file);
        } catch {
          store = undefined;
        }
        if (!store || !this.association.getAcceptedPresentationContextFromRequest(store)) {
          // No accepted context for the class: the library would skip it silently.
          counts.remaining--;
          failed();
          next(i + 1);
          return;
        }
        let answered = false;
        store.on('response', (response) => {
          answered = true;
          const status = response.getStatus();
          counts.remaining--;
          if (status === Status.Success) counts.completed++;
          else if (status >= WARNING_MIN && status <= WARNING_MAX) counts.warning++;
          else failed();
          pending();
        });
        store.on('done', () => {
          if (!answered) {
            // dcmjs-dimse could not transcode the data set to the context's syntax.
            counts.remaining--;
            failed();
          }
          next(i + 1);
        });
        this.sendRequests(store);
      };
      next(0);
    }

    associationReleaseRequested() {
      this.sendAssociationReleaseResponse();
    }

    // PS3.8 9.1.8: after an A-ABORT the acceptor closes the transport (the library leaves it to us).
    abort() {
      this.socket.destroy();
    }
  };
}

async function main() {
  const config = args(process.argv);
  await Transcoding.initializeAsync();
  config.index = loadIndex(config.dir);
  const ScpClass = createScpClass(config);
  const server = net.createServer((socket) => {
    const scp = new ScpClass(socket, {});
    scp.connected = true;
    scp.on('networkError', () => socket.end());
  });
  server.on('error', (err) => {
    process.stderr.write(`dcmjs-dimse SCP: ${err.message}\n`);
    process.exit(err.code === 'EADDRINUSE' ? 98 : 1);
  });
  server.listen({ host: '127.0.0.1', port: config.port, exclusive: true }, () => {
    process.stdout.write(`listening ${config.port} (${config.index.length} instances, dcmjs-dimse ${dimse.version})\n`);
  });
  process.on('SIGTERM', () => {
    server.close();
    process.exit(0);
  });
}

main().catch((err) => {
  process.stderr.write(`dcmjs-dimse SCP: ${err.stack ?? err}\n`);
  process.exit(1);
});
