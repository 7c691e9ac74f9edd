// The attributes a retrieve meets at nearly every run: the keys of the Query/Retrieve levels
// (PS3.4 C.6.1.1 and C.6.2.1), the ones dcmget's plan asks for, and the usual answers. Known
// here so that a plain retrieve never loads dcmjs (dcmjs-module.ts); dcmjs's dictionary stays
// the authority, for every other attribute and in test/unit/dicom-tables.test.ts, which checks
// each entry below against it.
export const COMMON_ATTRIBUTES: readonly (readonly [keyword: string, tag: number, vr: string])[] = [
  ['SpecificCharacterSet', 0x00080005, 'CS'],
  ['SOPClassUID', 0x00080016, 'UI'],
  ['SOPInstanceUID', 0x00080018, 'UI'],
  ['StudyDate', 0x00080020, 'DA'],
  ['StudyTime', 0x00080030, 'TM'],
  ['AccessionNumber', 0x00080050, 'SH'],
  ['QueryRetrieveLevel', 0x00080052, 'CS'],
  ['RetrieveAETitle', 0x00080054, 'AE'],
  ['InstanceAvailability', 0x00080056, 'CS'],
  ['FailedSOPInstanceUIDList', 0x00080058, 'UI'],
  ['Modality', 0x00080060, 'CS'],
  ['ModalitiesInStudy', 0x00080061, 'CS'],
  ['SOPClassesInStudy', 0x00080062, 'UI'],
  ['ReferringPhysicianName', 0x00080090, 'PN'],
  ['StudyDescription', 0x00081030, 'LO'],
  ['SeriesDescription', 0x0008103e, 'LO'],
  ['AvailableTransferSyntaxUID', 0x00083002, 'UI'],
  ['PatientName', 0x00100010, 'PN'],
  ['PatientID', 0x00100020, 'LO'],
  ['PatientBirthDate', 0x00100030, 'DA'],
  ['PatientSex', 0x00100040, 'CS'],
  ['StudyInstanceUID', 0x0020000d, 'UI'],
  ['SeriesInstanceUID', 0x0020000e, 'UI'],
  ['StudyID', 0x00200010, 'SH'],
  ['SeriesNumber', 0x00200011, 'IS'],
  ['InstanceNumber', 0x00200013, 'IS'],
  ['NumberOfPatientRelatedStudies', 0x00201200, 'IS'],
  ['NumberOfStudyRelatedSeries', 0x00201206, 'IS'],
  ['NumberOfStudyRelatedInstances', 0x00201208, 'IS'],
  ['NumberOfSeriesRelatedInstances', 0x00201209, 'IS'],
];
