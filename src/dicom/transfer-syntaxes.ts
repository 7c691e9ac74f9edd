/**
 * Transfer Syntaxes of the DICOM Standard.
 *
 * Source: DICOM PS3.5 (Data Structures and Encoding) Section 10 and Annex A,
 * and PS3.6 Table A-1 ("UID Values", UID Type "Transfer Syntax"), 2025/2026
 * editions. Names and keywords are those of PS3.6 Table A-1 (the name without
 * the ": Default Transfer Syntax for ..." note).
 *
 * Meaning of the flags:
 * - explicitVR / littleEndian: how the Data Set outside Pixel Data is encoded.
 * - encapsulated: Pixel Data (7FE0,0010) is encapsulated (fragments in an
 *   undefined-length sequence), PS3.5 A.4.
 * - deflated: the whole Data Set after the File Meta Information is deflate
 *   compressed (PS3.5 A.5). Deflated Image Frame Compression, which deflates
 *   each frame but not the Data Set, is `encapsulated`, not `deflated`.
 * - lossy: the syntax is, or may be, lossy (irreversible) compression.
 *
 * The retired RFC 2557 MIME Encapsulation and XML Encoding syntaxes were
 * never byte encodings of a Data Set for the network; they are listed for
 * completeness, flagged retired, with placeholder encoding flags.
 */

/** One Transfer Syntax of PS3.6 Table A-1. */
export interface TransferSyntax {
  /** Transfer Syntax UID. */
  readonly uid: string;
  /** Name as in PS3.6 Table A-1. */
  readonly name: string;
  /** Keyword as in PS3.6 Table A-1 (e.g. 'ExplicitVRLittleEndian'). */
  readonly keyword: string;
  readonly explicitVR: boolean;
  readonly littleEndian: boolean;
  readonly encapsulated: boolean;
  readonly deflated: boolean;
  readonly lossy: boolean;
  /** Retired from the standard. */
  readonly retired: boolean;
  /** Unique lowercase CLI name, e.g. 'explicit', 'jpeg-ls-lossless', 'htj2k'. */
  readonly shortName: string;
}

/** Implicit VR Little Endian: Default Transfer Syntax for DICOM. */
export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
/** Explicit VR Little Endian. */
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** Deflated Explicit VR Little Endian. */
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1.99';
/** Explicit VR Big Endian (retired). */
export const EXPLICIT_VR_BIG_ENDIAN = '1.2.840.10008.1.2.2';

type Encoding = Pick<TransferSyntax, 'explicitVR' | 'littleEndian' | 'encapsulated' | 'deflated'>;

/** Native (not encapsulated) Explicit VR Little Endian encoding. */
const NATIVE: Encoding = { explicitVR: true, littleEndian: true, encapsulated: false, deflated: false };
/** Encapsulated Pixel Data, Explicit VR Little Endian for the rest: every compressed syntax. */
const ENCAPSULATED: Encoding = { explicitVR: true, littleEndian: true, encapsulated: true, deflated: false };
/** Deflated Explicit VR Little Endian encoding, native Pixel Data. */
const DEFLATED: Encoding = { explicitVR: true, littleEndian: true, encapsulated: false, deflated: true };

const ENTRIES: readonly TransferSyntax[] = [
  // --- Native (uncompressed) ---------------------------------------------------
  { uid: '1.2.840.10008.1.2', name: 'Implicit VR Little Endian', keyword: 'ImplicitVRLittleEndian', shortName: 'implicit', explicitVR: false, littleEndian: true, encapsulated: false, deflated: false, lossy: false, retired: false },
  { uid: '1.2.840.10008.1.2.1', name: 'Explicit VR Little Endian', keyword: 'ExplicitVRLittleEndian', shortName: 'explicit', ...NATIVE, lossy: false, retired: false },
  { uid: '1.2.840.10008.1.2.1.98', name: 'Encapsulated Uncompressed Explicit VR Little Endian', keyword: 'EncapsulatedUncompressedExplicitVRLittleEndian', shortName: 'encapsulated-uncompressed', ...ENCAPSULATED, lossy: false, retired: false },
  { uid: '1.2.840.10008.1.2.1.99', name: 'Deflated Explicit VR Little Endian', keyword: 'DeflatedExplicitVRLittleEndian', shortName: 'deflated', ...DEFLATED, lossy: false, retired: false },
  { uid: '1.2.840.10008.1.2.2', name: 'Explicit VR Big Endian', keyword: 'ExplicitVRBigEndian', shortName: 'big-endian', explicitVR: true, littleEndian: false, encapsulated: false, deflated: false, lossy: false, retired: true },

  // --- JPEG (ISO/IEC 10918-1) ---------------------------------------------------
  { uid: '1.2.840.10008.1.2.4.50', name: 'JPEG Baseline (Process 1)', keyword: 'JPEGBaseline8Bit', shortName: 'jpeg-baseline', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.51', name: 'JPEG Extended (Process 2 and 4)', keyword: 'JPEGExtended12Bit', shortName: 'jpeg-extended', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.52', name: 'JPEG Extended (Process 3 and 5)', keyword: 'JPEGExtended35', shortName: 'jpeg-extended-3-5', ...ENCAPSULATED, lossy: true, retired: true },
  { uid: '1.2.840.10008.1.2.4.53', name: 'JPEG Spectral Selection, Non-Hierarchical (Process 6 and 8)', keyword: 'JPEGSpectralSelectionNonHierarchical68', shortName: 'jpeg-spectral-6-8', ...ENCAPSULATED, lossy: true, retired: true },
  { uid: '1.2.840.10008.1.2.4.54', name: 'JPEG Spectral Selection, Non-Hierarchical (Process 7 and 9)', keyword: 'JPEGSpectralSelectionNonHierarchical79', shortName: 'jpeg-spectral-7-9', ...ENCAPSULATED, lossy: true, retired: true },
  { uid: '1.2.840.10008.1.2.4.55', name: 'JPEG Full Progression, Non-Hierarchical (Process 10 and 12)', keyword: 'JPEGFullProgressionNonHierarchical1012', shortName: 'jpeg-progressive-10-12', ...ENCAPSULATED, lossy: true, retired: true },
  { uid: '1.2.840.10008.1.2.4.56', name: 'JPEG Full Progression, Non-Hierarchical (Process 11 and 13)', keyword: 'JPEGFullProgressionNonHierarchical1113', shortName: 'jpeg-progressive-11-13', ...ENCAPSULATED, lossy: true, retired: true },
  { uid: '1.2.840.10008.1.2.4.57', name: 'JPEG Lossless, Non-Hierarchical (Process 14)', keyword: 'JPEGLossless', shortName: 'jpeg-lossless', ...ENCAPSULATED, lossy: false, retired: false },
  { uid: '1.2.840.10008.1.2.4.58', name: 'JPEG Lossless, Non-Hierarchical (Process 15)', keyword: 'JPEGLosslessNonHierarchical15', shortName: 'jpeg-lossless-15', ...ENCAPSULATED, lossy: false, retired: true },
  { uid: '1.2.840.10008.1.2.4.59', name: 'JPEG Extended, Hierarchical (Process 16 and 18)', keyword: 'JPEGExtendedHierarchical1618', shortName: 'jpeg-hierarchical-extended-16-18', ...ENCAPSULATED, lossy: true, retired: true },
  { uid: '1.2.840.10008.1.2.4.60', name: 'JPEG Extended, Hierarchical (Process 17 and 19)', keyword: 'JPEGExtendedHierarchical1719', shortName: 'jpeg-hierarchical-extended-17-19', ...ENCAPSULATED, lossy: true, retired: true },
  { uid: '1.2.840.10008.1.2.4.61', name: 'JPEG Spectral Selection, Hierarchical (Process 20 and 22)', keyword: 'JPEGSpectralSelectionHierarchical2022', shortName: 'jpeg-hierarchical-spectral-20-22', ...ENCAPSULATED, lossy: true, retired: true },
  { uid: '1.2.840.10008.1.2.4.62', name: 'JPEG Spectral Selection, Hierarchical (Process 21 and 23)', keyword: 'JPEGSpectralSelectionHierarchical2123', shortName: 'jpeg-hierarchical-spectral-21-23', ...ENCAPSULATED, lossy: true, retired: true },
  { uid: '1.2.840.10008.1.2.4.63', name: 'JPEG Full Progression, Hierarchical (Process 24 and 26)', keyword: 'JPEGFullProgressionHierarchical2426', shortName: 'jpeg-hierarchical-progressive-24-26', ...ENCAPSULATED, lossy: true, retired: true },
  { uid: '1.2.840.10008.1.2.4.64', name: 'JPEG Full Progression, Hierarchical (Process 25 and 27)', keyword: 'JPEGFullProgressionHierarchical2527', shortName: 'jpeg-hierarchical-progressive-25-27', ...ENCAPSULATED, lossy: true, retired: true },
  { uid: '1.2.840.10008.1.2.4.65', name: 'JPEG Lossless, Hierarchical (Process 28)', keyword: 'JPEGLosslessHierarchical28', shortName: 'jpeg-hierarchical-lossless-28', ...ENCAPSULATED, lossy: false, retired: true },
  { uid: '1.2.840.10008.1.2.4.66', name: 'JPEG Lossless, Hierarchical (Process 29)', keyword: 'JPEGLosslessHierarchical29', shortName: 'jpeg-hierarchical-lossless-29', ...ENCAPSULATED, lossy: false, retired: true },
  { uid: '1.2.840.10008.1.2.4.70', name: 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])', keyword: 'JPEGLosslessSV1', shortName: 'jpeg-lossless-sv1', ...ENCAPSULATED, lossy: false, retired: false },

  // --- JPEG-LS, JPEG 2000, JPIP -------------------------------------------------
  { uid: '1.2.840.10008.1.2.4.80', name: 'JPEG-LS Lossless Image Compression', keyword: 'JPEGLSLossless', shortName: 'jpeg-ls-lossless', ...ENCAPSULATED, lossy: false, retired: false },
  { uid: '1.2.840.10008.1.2.4.81', name: 'JPEG-LS Lossy (Near-Lossless) Image Compression', keyword: 'JPEGLSNearLossless', shortName: 'jpeg-ls-near-lossless', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.90', name: 'JPEG 2000 Image Compression (Lossless Only)', keyword: 'JPEG2000Lossless', shortName: 'j2k-lossless', ...ENCAPSULATED, lossy: false, retired: false },
  { uid: '1.2.840.10008.1.2.4.91', name: 'JPEG 2000 Image Compression', keyword: 'JPEG2000', shortName: 'j2k', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.92', name: 'JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)', keyword: 'JPEG2000MCLossless', shortName: 'j2k-mc-lossless', ...ENCAPSULATED, lossy: false, retired: false },
  { uid: '1.2.840.10008.1.2.4.93', name: 'JPEG 2000 Part 2 Multi-component Image Compression', keyword: 'JPEG2000MC', shortName: 'j2k-mc', ...ENCAPSULATED, lossy: true, retired: false },
  // JPIP: Pixel Data is not in the Data Set but referenced by Pixel Data Provider URL.
  { uid: '1.2.840.10008.1.2.4.94', name: 'JPIP Referenced', keyword: 'JPIPReferenced', shortName: 'jpip', ...NATIVE, lossy: false, retired: false },
  { uid: '1.2.840.10008.1.2.4.95', name: 'JPIP Referenced Deflate', keyword: 'JPIPReferencedDeflate', shortName: 'jpip-deflate', ...DEFLATED, lossy: false, retired: false },

  // --- MPEG-2, MPEG-4 AVC/H.264, HEVC/H.265 video -------------------------------
  { uid: '1.2.840.10008.1.2.4.100', name: 'MPEG2 Main Profile / Main Level', keyword: 'MPEG2MPML', shortName: 'mpeg2-mp-ml', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.100.1', name: 'Fragmentable MPEG2 Main Profile / Main Level', keyword: 'MPEG2MPMLF', shortName: 'mpeg2-mp-ml-f', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.101', name: 'MPEG2 Main Profile / High Level', keyword: 'MPEG2MPHL', shortName: 'mpeg2-mp-hl', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.101.1', name: 'Fragmentable MPEG2 Main Profile / High Level', keyword: 'MPEG2MPHLF', shortName: 'mpeg2-mp-hl-f', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.102', name: 'MPEG-4 AVC/H.264 High Profile / Level 4.1', keyword: 'MPEG4HP41', shortName: 'mpeg4-hp41', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.102.1', name: 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1', keyword: 'MPEG4HP41F', shortName: 'mpeg4-hp41-f', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.103', name: 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', keyword: 'MPEG4HP41BD', shortName: 'mpeg4-hp41-bd', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.103.1', name: 'Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', keyword: 'MPEG4HP41BDF', shortName: 'mpeg4-hp41-bd-f', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.104', name: 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', keyword: 'MPEG4HP422D', shortName: 'mpeg4-hp42-2d', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.104.1', name: 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', keyword: 'MPEG4HP422DF', shortName: 'mpeg4-hp42-2d-f', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.105', name: 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', keyword: 'MPEG4HP423D', shortName: 'mpeg4-hp42-3d', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.105.1', name: 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', keyword: 'MPEG4HP423DF', shortName: 'mpeg4-hp42-3d-f', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.106', name: 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', keyword: 'MPEG4HP42STEREO', shortName: 'mpeg4-hp42-stereo', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.106.1', name: 'Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', keyword: 'MPEG4HP42STEREOF', shortName: 'mpeg4-hp42-stereo-f', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.107', name: 'HEVC/H.265 Main Profile / Level 5.1', keyword: 'HEVCMP51', shortName: 'hevc-mp51', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.108', name: 'HEVC/H.265 Main 10 Profile / Level 5.1', keyword: 'HEVCM10P51', shortName: 'hevc-m10p51', ...ENCAPSULATED, lossy: true, retired: false },

  // --- JPEG XL --------------------------------------------------------------------
  { uid: '1.2.840.10008.1.2.4.110', name: 'JPEG XL Lossless', keyword: 'JPEGXLLossless', shortName: 'jpeg-xl-lossless', ...ENCAPSULATED, lossy: false, retired: false },
  // Lossless recompression of a JPEG bit stream, whose pixels were lossy to begin with.
  { uid: '1.2.840.10008.1.2.4.111', name: 'JPEG XL JPEG Recompression', keyword: 'JPEGXLJPEGRecompression', shortName: 'jpeg-xl-jpeg-recompression', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.112', name: 'JPEG XL', keyword: 'JPEGXL', shortName: 'jpeg-xl', ...ENCAPSULATED, lossy: true, retired: false },

  // --- High-Throughput JPEG 2000 (HTJ2K) and JPIP HTJ2K ----------------------------
  { uid: '1.2.840.10008.1.2.4.201', name: 'High-Throughput JPEG 2000 Image Compression (Lossless Only)', keyword: 'HTJ2KLossless', shortName: 'htj2k-lossless', ...ENCAPSULATED, lossy: false, retired: false },
  { uid: '1.2.840.10008.1.2.4.202', name: 'High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)', keyword: 'HTJ2KLosslessRPCL', shortName: 'htj2k-rpcl', ...ENCAPSULATED, lossy: false, retired: false },
  { uid: '1.2.840.10008.1.2.4.203', name: 'High-Throughput JPEG 2000 Image Compression', keyword: 'HTJ2K', shortName: 'htj2k', ...ENCAPSULATED, lossy: true, retired: false },
  { uid: '1.2.840.10008.1.2.4.204', name: 'JPIP HTJ2K Referenced', keyword: 'JPIPHTJ2KReferenced', shortName: 'jpip-htj2k', ...NATIVE, lossy: false, retired: false },
  { uid: '1.2.840.10008.1.2.4.205', name: 'JPIP HTJ2K Referenced Deflate', keyword: 'JPIPHTJ2KReferencedDeflate', shortName: 'jpip-htj2k-deflate', ...DEFLATED, lossy: false, retired: false },

  // --- RLE, MIME/XML (retired), SMPTE ST 2110, deflated frames, Papyrus -----------
  { uid: '1.2.840.10008.1.2.5', name: 'RLE Lossless', keyword: 'RLELossless', shortName: 'rle', ...ENCAPSULATED, lossy: false, retired: false },
  { uid: '1.2.840.10008.1.2.6.1', name: 'RFC 2557 MIME encapsulation', keyword: 'RFC2557MIMEEncapsulation', shortName: 'rfc2557-mime', ...NATIVE, lossy: false, retired: true },
  { uid: '1.2.840.10008.1.2.6.2', name: 'XML Encoding', keyword: 'XMLEncoding', shortName: 'xml', ...NATIVE, lossy: false, retired: true },
  // DICOM-RTV (PS3.22): the essence travels in an RTP stream, not in Pixel Data.
  { uid: '1.2.840.10008.1.2.7.1', name: 'SMPTE ST 2110-20 Uncompressed Progressive Active Video', keyword: 'SMPTEST211020UncompressedProgressiveActiveVideo', shortName: 'smpte-2110-20-progressive', ...NATIVE, lossy: false, retired: false },
  { uid: '1.2.840.10008.1.2.7.2', name: 'SMPTE ST 2110-20 Uncompressed Interlaced Active Video', keyword: 'SMPTEST211020UncompressedInterlacedActiveVideo', shortName: 'smpte-2110-20-interlaced', ...NATIVE, lossy: false, retired: false },
  { uid: '1.2.840.10008.1.2.7.3', name: 'SMPTE ST 2110-30 PCM Digital Audio', keyword: 'SMPTEST211030PCMDigitalAudio', shortName: 'smpte-2110-30-audio', ...NATIVE, lossy: false, retired: false },
  { uid: '1.2.840.10008.1.2.8.1', name: 'Deflated Image Frame Compression', keyword: 'DeflatedImageFrameCompression', shortName: 'deflated-image-frame', ...ENCAPSULATED, lossy: false, retired: false },
  { uid: '1.2.840.10008.1.20', name: 'Papyrus 3 Implicit VR Little Endian', keyword: 'Papyrus3ImplicitVRLittleEndian', shortName: 'papyrus3', explicitVR: false, littleEndian: true, encapsulated: false, deflated: false, lossy: false, retired: true },
];

/** Every Transfer Syntax of the table, frozen. */
export const TRANSFER_SYNTAXES: readonly TransferSyntax[] = Object.freeze(ENTRIES.map((ts) => Object.freeze({ ...ts })));

const BY_UID: ReadonlyMap<string, TransferSyntax> = new Map(TRANSFER_SYNTAXES.map((ts) => [ts.uid, ts]));
const BY_NAME: ReadonlyMap<string, TransferSyntax> = new Map(
  TRANSFER_SYNTAXES.flatMap((ts): [string, TransferSyntax][] => [
    [ts.keyword.toLowerCase(), ts],
    [ts.shortName, ts],
  ]),
);

/** The Transfer Syntax with this UID, or undefined. Trailing NUL/space padding is ignored. */
export function transferSyntaxByUid(uid: string): TransferSyntax | undefined {
  // Most UIDs come unpadded: a lookup first, the regular expression only on a miss (this runs
  // twice for every instance received).
  return BY_UID.get(uid) ?? BY_UID.get(uid.replace(/[\0 ]+$/, ''));
}

/**
 * The Transfer Syntax named by a UID, a PS3.6 keyword or a shortName; keywords
 * and short names match case-insensitively. Undefined if none matches.
 */
export function transferSyntaxByName(nameOrUid: string): TransferSyntax | undefined {
  const key = nameOrUid.trim();
  return BY_UID.get(key) ?? BY_NAME.get(key.toLowerCase());
}
