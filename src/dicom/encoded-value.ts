// A value kept exactly as a query file encoded it, so that it goes on the wire byte for byte as
// DCMTK getscu sends it: getscu loads the file and writes the same values again in the
// presentation context's transfer syntax, whatever their character set (even ISO 2022 escapes it
// could not re-create). The DICOM JSON model (PS3.18 F.2) has no place for encoded bytes, so they
// are kept beside the element object: an element that -k replaces is a new object, without them.
import type { DicomJsonElement } from './dicom-json.ts';

const encoded = new WeakMap<DicomJsonElement, Buffer>();

export function keepEncoded(element: DicomJsonElement, bytes: Buffer): DicomJsonElement {
  encoded.set(element, bytes);
  return element;
}

/** The bytes a query file gave this element's value (byte-order free VRs only), if any. */
export function encodedValue(element: DicomJsonElement): Buffer | undefined {
  return encoded.get(element);
}
