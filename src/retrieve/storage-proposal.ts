// Which storage contexts to propose (PS3.8 9.3.2.2, at most 128 per association).
//
// Servers such as dcmqrscp and Orthanc before 1.11.3 accept one transfer syntax per context
// and send an instance on a context whose syntax equals the stored one, or transcode (Orthanc)
// or fail (dcmqrscp) when there is none. So, where the budget allows, each storage class gets one
// context for the uncompressed syntaxes and one context per compressed syntax, so that every
// instance can come in its stored syntax, byte for byte, with no codec on either side.
//
// Deflated Explicit VR Little Endian is not among them unless the plan saw deflated instances
// (or the user asks for it with --transfer-syntax): a peer that prefers it whenever it is
// accepted (PixelMed) would otherwise deflate every instance, and no instance stored otherwise
// would come back as it was stored.
import { STORAGE_SOP_CLASSES, storageSopClassByKeyword, storageSopClassByUid } from '../dicom/storage-sop-classes.ts';
import {
  DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN,
  transferSyntaxByName,
} from '../dicom/transfer-syntaxes.ts';
import { MAX_PRESENTATION_CONTEXTS, type StorageProposal } from './presentation-contexts.ts';

export const UNCOMPRESSED = [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN];
/**
 * Explicit and implicit each get a context of their own when the budget allows: a peer that
 * picks by stored syntax (Orthanc) then sends implicit VR instances unchanged instead of
 * converting them to the explicit syntax it prefers.
 */
const UNCOMPRESSED_SPLIT = [[EXPLICIT_VR_LITTLE_ENDIAN], [IMPLICIT_VR_LITTLE_ENDIAN]];

const uid = (shortName: string): string => {
  const ts = transferSyntaxByName(shortName);
  if (!ts) throw new Error(`transfer syntax table lacks ${shortName}`);
  return ts.uid;
};

/**
 * The syntaxes a PACS may hold, most common first: the order in which they get a context of
 * their own when the budget per class is short.
 */
export const STORED_SYNTAXES: readonly string[] = [
  'jpeg-lossless-sv1', 'jpeg-baseline', 'j2k-lossless', 'j2k', 'rle', 'jpeg-ls-lossless', 'deflated',
  'jpeg-extended', 'jpeg-ls-near-lossless', 'jpeg-lossless', 'htj2k-lossless', 'htj2k-rpcl', 'htj2k',
  'big-endian', 'jpeg-xl-lossless', 'jpeg-xl', 'jpeg-xl-jpeg-recompression', 'j2k-mc-lossless', 'j2k-mc',
  'deflated-image-frame', 'encapsulated-uncompressed',
].map(uid);

/** Video classes hold MPEG-2, MPEG-4 and HEVC streams (PS3.5 8.2.5-8.2.7, 8.2.9). */
export const VIDEO_SYNTAXES: readonly string[] = [
  'mpeg4-hp41', 'mpeg2-mp-ml', 'mpeg4-hp41-bd', 'mpeg2-mp-hl', 'hevc-mp51', 'hevc-m10p51', 'mpeg4-hp42-2d',
  'mpeg4-hp42-3d', 'mpeg4-hp42-stereo', 'mpeg2-mp-ml-f', 'mpeg2-mp-hl-f', 'mpeg4-hp41-f', 'mpeg4-hp41-bd-f',
  'mpeg4-hp42-2d-f', 'mpeg4-hp42-3d-f', 'mpeg4-hp42-stereo-f',
].map(uid);

function isVideo(sopClassUid: string): boolean {
  return storageSopClassByUid(sopClassUid)?.group.includes('video') ?? false;
}

/** Syntaxes that carry no pixel compression: the only ones a non-image object can be stored in. */
const NON_PIXEL = new Set([DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN]);

/**
 * The contexts of one class. Syntaxes the plan saw stored come first, each in a context of its
 * own (uncompressed ones first, Deflated last among them), so that a peer using the first
 * accepted context of the class (dcmqrscp) sends them as stored; then the uncompressed syntaxes
 * not seen, which any peer can convert to. With nothing known: [explicit], [implicit], then one
 * context per compressed syntax, never Deflated, as many as `perClass` allows.
 */
function contextsFor(sopClassUid: string, perClass: number, knownSyntaxes: ReadonlySet<string> | undefined): string[][] {
  const room = Math.max(1, perClass);
  if (knownSyntaxes && knownSyntaxes.size > 0) {
    const known = [...knownSyntaxes];
    const knownUncompressed = UNCOMPRESSED.filter((ts) => knownSyntaxes.has(ts));
    const rest = known.filter((ts) => !UNCOMPRESSED.includes(ts)).sort(byStoredOrder);
    // The uncompressed syntaxes share one context when the budget is short: known ones first in it.
    const together = [...knownUncompressed, ...UNCOMPRESSED.filter((ts) => !knownSyntaxes.has(ts))];
    const split = room >= rest.length + 2;
    const seen = knownUncompressed.length === 0 ? [] : split ? knownUncompressed.map((ts) => [ts]) : [together];
    const fallback = split ? UNCOMPRESSED.filter((ts) => !knownSyntaxes.has(ts)).map((ts) => [ts]) : knownUncompressed.length === 0 ? [together] : [];
    return [...seen, ...rest.map((ts) => [ts]), ...fallback].slice(0, room);
  }
  const candidates = (isVideo(sopClassUid) ? [...VIDEO_SYNTAXES, ...STORED_SYNTAXES] : imageOrNot(sopClassUid)).filter((ts) => ts !== DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN);
  const head = uncompressed(room);
  return [...head, ...candidates.slice(0, Math.max(0, room - head.length)).map((ts) => [ts])];
}

/** STORED_SYNTAXES order (the commonest first), Deflated last, syntaxes we do not know after. */
function byStoredOrder(a: string, b: string): number {
  const rank = (ts: string) => (ts === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN ? STORED_SYNTAXES.length + 1 : STORED_SYNTAXES.includes(ts) ? STORED_SYNTAXES.indexOf(ts) : STORED_SYNTAXES.length);
  return rank(a) - rank(b);
}

function uncompressed(room: number): string[][] {
  return room >= 2 ? UNCOMPRESSED_SPLIT : [UNCOMPRESSED];
}

function imageOrNot(sopClassUid: string): readonly string[] {
  const c = storageSopClassByUid(sopClassUid);
  const nonImage = c?.group.some((g) => ['sr', 'pr', 'doc', 'registration', 'protocol', 'non-patient', 'dose'].includes(g)) ?? false;
  return nonImage ? STORED_SYNTAXES.filter((ts) => NON_PIXEL.has(ts)) : STORED_SYNTAXES;
}

/**
 * The proposal for a known set of classes (from the plan's C-FIND, or given by hand): the budget
 * of contexts is shared out evenly. Throws when even one context per class does not fit.
 */
export function proposalForClasses(sopClassUids: string[], syntaxesByClass?: ReadonlyMap<string, ReadonlySet<string>>, budget = MAX_PRESENTATION_CONTEXTS - 1): StorageProposal[] {
  const classes = [...new Set(sopClassUids)];
  if (classes.length > budget) throw new RangeError(`${classes.length} storage classes need more than the ${budget} contexts left on one association`);
  const perClass = Math.floor(budget / Math.max(1, classes.length));
  return classes.map((sopClassUid) => ({ sopClassUid, contexts: contextsFor(sopClassUid, perClass, syntaxesByClass?.get(sopClassUid)) }));
}

/**
 * With nothing known (--no-plan, or a peer that answers no C-FIND): one uncompressed context for
 * each of the most common classes, chosen for coverage. A PACS that transcodes (Orthanc) then
 * sends compressed instances decompressed; one that does not may fail them, and the summary says so.
 */
export function defaultStorageProposal(budget = MAX_PRESENTATION_CONTEXTS - 1): StorageProposal[] {
  const common = COMMON_CLASSES.map((k) => {
    const c = storageSopClassByKeyword(k);
    if (!c) throw new Error(`storage class table lacks ${k}`);
    return c;
  });
  const rest = STORAGE_SOP_CLASSES.filter((c) => !c.retired && !c.group.includes('dicos') && !c.group.includes('diconde') && !COMMON_CLASSES.includes(c.keyword));
  return [...common, ...rest].slice(0, budget).map((c) => ({ sopClassUid: c.uid, contexts: [UNCOMPRESSED] }));
}

/** What clinical archives hold most, proposed first when nothing is known. */
const COMMON_CLASSES = [
  'CTImageStorage', 'MRImageStorage', 'ComputedRadiographyImageStorage', 'DigitalXRayImageStorageForPresentation',
  'DigitalXRayImageStorageForProcessing', 'DigitalMammographyXRayImageStorageForPresentation',
  'DigitalMammographyXRayImageStorageForProcessing', 'BreastTomosynthesisImageStorage', 'UltrasoundImageStorage',
  'UltrasoundMultiFrameImageStorage', 'SecondaryCaptureImageStorage', 'MultiFrameSingleBitSecondaryCaptureImageStorage',
  'MultiFrameGrayscaleByteSecondaryCaptureImageStorage', 'MultiFrameGrayscaleWordSecondaryCaptureImageStorage',
  'MultiFrameTrueColorSecondaryCaptureImageStorage', 'XRayAngiographicImageStorage', 'XRayRadiofluoroscopicImageStorage',
  'EnhancedXAImageStorage', 'EnhancedXRFImageStorage', 'NuclearMedicineImageStorage', 'PositronEmissionTomographyImageStorage',
  'EnhancedPETImageStorage', 'LegacyConvertedEnhancedPETImageStorage', 'EnhancedCTImageStorage',
  'LegacyConvertedEnhancedCTImageStorage', 'EnhancedMRImageStorage', 'EnhancedMRColorImageStorage',
  'LegacyConvertedEnhancedMRImageStorage', 'MRSpectroscopyStorage', 'EnhancedUSVolumeStorage',
  'RTImageStorage', 'RTDoseStorage', 'RTStructureSetStorage', 'RTPlanStorage', 'RTIonPlanStorage',
  'RTBeamsTreatmentRecordStorage', 'RTIonBeamsTreatmentRecordStorage', 'RTTreatmentSummaryRecordStorage',
  'BasicTextSRStorage', 'EnhancedSRStorage', 'ComprehensiveSRStorage', 'Comprehensive3DSRStorage', 'ExtensibleSRStorage',
  'KeyObjectSelectionDocumentStorage', 'XRayRadiationDoseSRStorage', 'RadiopharmaceuticalRadiationDoseSRStorage',
  'MammographyCADSRStorage', 'ChestCADSRStorage', 'GrayscaleSoftcopyPresentationStateStorage',
  'ColorSoftcopyPresentationStateStorage', 'PseudoColorSoftcopyPresentationStateStorage',
  'BlendingSoftcopyPresentationStateStorage', 'SegmentationStorage', 'LabelMapSegmentationStorage',
  'SurfaceSegmentationStorage', 'SpatialRegistrationStorage', 'DeformableSpatialRegistrationStorage',
  'SpatialFiducialsStorage', 'ParametricMapStorage', 'RealWorldValueMappingStorage', 'RawDataStorage',
  'EncapsulatedPDFStorage', 'EncapsulatedCDAStorage', 'EncapsulatedSTLStorage', 'EncapsulatedOBJStorage',
  'EncapsulatedMTLStorage', 'VLEndoscopicImageStorage', 'VLMicroscopicImageStorage', 'VLPhotographicImageStorage',
  'VLSlideCoordinatesMicroscopicImageStorage', 'VLWholeSlideMicroscopyImageStorage', 'VideoEndoscopicImageStorage',
  'VideoMicroscopicImageStorage', 'VideoPhotographicImageStorage', 'OphthalmicPhotography8BitImageStorage',
  'OphthalmicPhotography16BitImageStorage', 'OphthalmicTomographyImageStorage', 'TwelveLeadECGWaveformStorage',
  'GeneralECGWaveformStorage', 'AmbulatoryECGWaveformStorage', 'HemodynamicWaveformStorage',
  'BasicVoiceAudioWaveformStorage', 'IntravascularOpticalCoherenceTomographyImageStorageForPresentation',
];

export interface ProposalRequest {
  /** Classes the plan found in the match; undefined when the peer could not say. */
  planned?: string[] | undefined;
  syntaxesByClass?: ReadonlyMap<string, ReadonlySet<string>> | undefined;
  /** --storage-class: proposed first, whatever the plan says. */
  extra?: string[] | undefined;
  /** --transfer-syntax / --prefer-uncompressed: the contexts every class gets. */
  contexts?: string[][] | undefined;
  budget?: number | undefined;
}

/**
 * The storage proposal for a retrieve. Throws RangeError when the classes that must be proposed
 * need more contexts than one association holds (never dropping a class silently).
 */
export function buildProposal(r: ProposalRequest): StorageProposal[] {
  const budget = r.budget ?? MAX_PRESENTATION_CONTEXTS - 1;
  const extra = [...new Set(r.extra ?? [])];
  if (r.planned) {
    // Beyond one association's worth, recovery asks for the rest's instances, in batches that fit.
    const classes = [...new Set([...extra, ...r.planned])].slice(0, budget);
    if (!r.contexts) return proposalForClasses(classes, r.syntaxesByClass, budget);
    const perClass = Math.max(1, Math.floor(budget / classes.length));
    return classes.map((sopClassUid) => ({ sopClassUid, contexts: r.contexts!.slice(0, perClass) }));
  }
  // Nothing known: the classes asked for by hand, then the default set, as many as fit.
  const contexts = r.contexts ?? [UNCOMPRESSED];
  if (extra.length * contexts.length > budget) throw new RangeError(`${extra.length} storage classes × ${contexts.length} transfer syntax context(s) need more than the ${budget} presentation contexts one association holds`);
  const fill = defaultStorageProposal(budget).map((p) => p.sopClassUid).filter((c) => !extra.includes(c));
  const classes = [...extra, ...fill].slice(0, Math.floor(budget / contexts.length));
  return classes.map((sopClassUid) => ({ sopClassUid, contexts }));
}
