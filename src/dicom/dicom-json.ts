// The DICOM JSON Model (PS3.18 F.2): the form of dcmget's Identifiers, as a library user gives
// them and as dcmjs encodes them (dcmjs calls it "denaturalized"). dcmget's own declaration, so
// that the package's types need nothing the package does not ship.

/** PS3.18 F.2.2: an attribute: its VR and at most one of Value, BulkDataURI or InlineBinary. */
export interface DicomJsonElement {
  /** The two-letter Value Representation (PS3.5 6.2), e.g. 'UI', 'CS', 'SQ'. */
  vr: string;
  /**
   * The values, absent or empty for an empty attribute (universal matching): strings; numbers
   * for the binary numeric VRs, and for IS and DS numbers or strings (PS3.18 F.2.3); for PN,
   * `{ Alphabetic?, Ideographic?, Phonetic? }` objects; for SQ, the items as data sets; null for
   * an empty value among several (F.2.5). `unknown` because dcmget hands an Identifier it cannot
   * write itself to dcmjs as it is, with whatever else dcmjs takes (ArrayBuffers for OB, OW…).
   */
  Value?: unknown[];
  /** PS3.18 F.2.6: where the bulk data is found. */
  BulkDataURI?: string;
  /** PS3.18 F.2.7: binary data, base64 encoded. */
  InlineBinary?: string;
}

/**
 * PS3.18 F.2.2: a data set, keyed by tag as eight upper-case hexadecimal digits (group then
 * element, e.g. '0020000D' for StudyInstanceUID).
 *
 * @example
 * ```ts
 * const identifier: DicomJsonDataset = {
 *   '00080052': { vr: 'CS', Value: ['STUDY'] },
 *   '0020000D': { vr: 'UI', Value: ['1.2.840.113619.2.55.3.604688119.969.1268071029.320'] },
 * };
 * ```
 */
export interface DicomJsonDataset {
  [tag: string]: DicomJsonElement;
}
