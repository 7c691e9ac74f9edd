import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  STORAGE_GROUPS,
  STORAGE_GROUP_DESCRIPTIONS,
  STORAGE_SOP_CLASSES,
  isStorageSopClass,
  storageSopClassByKeyword,
  storageSopClassByUid,
  storageSopClassesInGroup,
} from '../../src/dicom/storage-sop-classes.ts';
import {
  RETRIEVE_MODELS,
  RETRIEVE_MODEL_NAMES,
  RETRIEVE_SOP_CLASSES,
  retrieveModelByName,
  retrieveModelByUid,
  retrieveSopClassByUid,
} from '../../src/dicom/retrieve-sop-classes.ts';
import {
  DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
  EXPLICIT_VR_BIG_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  TRANSFER_SYNTAXES,
  transferSyntaxByName,
  transferSyntaxByUid,
} from '../../src/dicom/transfer-syntaxes.ts';
import { COMMON_ATTRIBUTES } from '../../src/dicom/common-attributes.ts';
import { attributeByKeyword, attributeByTag, formatTag, lookupAttribute } from '../../src/dicom/dictionary.ts';
import { dcmjs } from '../../src/dicom/dcmjs-module.ts';

/** PS3.5 9.1: components of digits, no leading zero (except "0" itself), at most 64 characters. */
function assertValidUid(uid: string): void {
  assert.ok(uid.length > 0 && uid.length <= 64, `UID length: ${uid}`);
  assert.match(uid, /^[0-9.]+$/, `UID charset: ${uid}`);
  for (const component of uid.split('.')) {
    assert.ok(component.length > 0, `empty component: ${uid}`);
    assert.ok(component === '0' || !component.startsWith('0'), `leading zero: ${uid}`);
  }
  assert.ok(uid.startsWith('1.2.840.10008.'), `not a DICOM UID: ${uid}`);
}

function assertUnique(values: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const value of values) {
    assert.ok(!seen.has(value), `duplicate ${what}: ${value}`);
    seen.add(value);
  }
}

const KEYWORD = /^[A-Za-z][A-Za-z0-9]*$/;

describe('storage SOP classes', () => {
  it('have valid, unique UIDs, keywords and names', () => {
    for (const c of STORAGE_SOP_CLASSES) {
      assertValidUid(c.uid);
      assert.match(c.keyword, KEYWORD, c.uid);
      assert.ok(c.name.length > 0, c.uid);
      assert.ok(c.group.length > 0, `no group: ${c.uid}`);
      assert.equal(c.name.endsWith('(Retired)'), c.retired, `retired suffix: ${c.name}`);
      for (const g of c.group) assert.ok(STORAGE_GROUPS.includes(g), `unknown group ${g}`);
      assertUnique(c.group, `group of ${c.uid}`);
    }
    assertUnique(STORAGE_SOP_CLASSES.map((c) => c.uid), 'UID');
    assertUnique(STORAGE_SOP_CLASSES.map((c) => c.keyword), 'keyword');
    assertUnique(STORAGE_SOP_CLASSES.map((c) => c.name), 'name');
  });

  it('cover the current standard (194 non-retired classes in PS3.6 2026a)', () => {
    // The table lists 194 non-retired Storage SOP Classes as of PS3.6 2026a
    // (182 of PS3.4 Annex B/GG, 7 DICOS, 5 DICONDE; Media Storage Directory
    // Storage excluded), so fewer than 200 exist. The bound catches accidental loss.
    const current = STORAGE_SOP_CLASSES.filter((c) => !c.retired);
    assert.ok(current.length >= 194, `only ${current.length} non-retired storage classes`);
    assert.ok(STORAGE_SOP_CLASSES.length > current.length, 'retired classes are listed too');
  });

  it('look up by UID and keyword', () => {
    const ct = storageSopClassByUid('1.2.840.10008.5.1.4.1.1.2');
    assert.equal(ct?.name, 'CT Image Storage');
    assert.equal(ct?.keyword, 'CTImageStorage');
    assert.deepEqual(ct?.group, ['ct']);
    assert.equal(ct?.retired, false);
    assert.equal(storageSopClassByKeyword('CTImageStorage'), ct);
    assert.equal(storageSopClassByKeyword('ctimagestorage'), undefined, 'keywords are case-sensitive');
    assert.equal(storageSopClassByUid('1.2.840.10008.5.1.4.1.1.2\0'), ct, 'NUL padding is ignored');
    assert.equal(storageSopClassByUid('1.2.840.10008.5.1.4.1.1.2.99'), undefined);
    assert.equal(storageSopClassByUid('1.2.840.10008.1.3.10'), undefined, 'DICOMDIR is not a storage class');
    assert.equal(isStorageSopClass('1.2.840.10008.5.1.4.1.1.4'), true);
    assert.equal(isStorageSopClass('1.2.840.10008.5.1.4.1.2.2.3'), false);
  });

  it('hold known entries of PS3.6 Table A-1', () => {
    const expected: [string, string, boolean][] = [
      ['1.2.840.10008.5.1.4.1.1.30', 'ParametricMapStorage', false],
      ['1.2.840.10008.5.1.4.1.1.6', 'UltrasoundImageStorageRetired', true],
      ['1.2.840.10008.5.1.4.1.1.6.1', 'UltrasoundImageStorage', false],
      ['1.2.840.10008.5.1.4.1.1.5', 'NuclearMedicineImageStorageRetired', true],
      ['1.2.840.10008.5.1.4.1.1.20', 'NuclearMedicineImageStorage', false],
      ['1.2.840.10008.5.1.4.1.1.88.59', 'KeyObjectSelectionDocumentStorage', false],
      ['1.2.840.10008.5.1.4.1.1.66.4', 'SegmentationStorage', false],
      ['1.2.840.10008.5.1.4.1.1.66.7', 'LabelMapSegmentationStorage', false],
      ['1.2.840.10008.5.1.4.1.1.66.8', 'HeightMapSegmentationStorage', false],
      ['1.2.840.10008.5.1.4.1.1.6.3', 'PhotoacousticImageStorage', false],
      ['1.2.840.10008.5.1.4.1.1.77.1.6', 'VLWholeSlideMicroscopyImageStorage', false],
      ['1.2.840.10008.5.1.4.1.1.77.1.8', 'ConfocalMicroscopyImageStorage', false],
      ['1.2.840.10008.5.1.4.1.1.77.1.5.8', 'OphthalmicOpticalCoherenceTomographyBscanVolumeAnalysisStorage', false],
      ['1.2.840.10008.5.1.4.1.1.88.77', 'WaveformAnnotationSRStorage', false],
      ['1.2.840.10008.5.1.4.1.1.9.100.1', 'WaveformPresentationStateStorage', false],
      ['1.2.840.10008.5.1.4.1.1.2.3', 'CTImageStorageForProcessing', false],
      ['1.2.840.10008.5.1.4.1.1.104.1', 'EncapsulatedPDFStorage', false],
      ['1.2.840.10008.5.1.4.1.1.481.5', 'RTPlanStorage', false],
      ['1.2.840.10008.5.1.4.1.1.128', 'PositronEmissionTomographyImageStorage', false],
      ['1.2.840.10008.5.1.4.1.1.200.1', 'CTDefinedProcedureProtocolStorage', false],
      ['1.2.840.10008.5.1.4.1.1.200.7', 'XADefinedProcedureProtocolStorage', false],
      ['1.2.840.10008.5.1.4.1.1.200.3', 'ProtocolApprovalStorage', false],
      ['1.2.840.10008.5.1.4.1.1.201.1', 'InventoryStorage', false],
      ['1.2.840.10008.5.1.4.38.1', 'HangingProtocolStorage', false],
      ['1.2.840.10008.5.1.4.39.1', 'ColorPaletteStorage', false],
      ['1.2.840.10008.5.1.4.43.1', 'GenericImplantTemplateStorage', false],
      ['1.2.840.10008.5.1.4.44.1', 'ImplantAssemblyTemplateStorage', false],
      ['1.2.840.10008.5.1.4.45.1', 'ImplantTemplateGroupStorage', false],
      ['1.2.840.10008.5.1.4.34.7', 'RTBeamsDeliveryInstructionStorage', false],
    ];
    for (const [uid, keyword, retired] of expected) {
      const c = storageSopClassByUid(uid);
      assert.ok(c, `missing ${uid} ${keyword}`);
      assert.equal(c.keyword, keyword, uid);
      assert.equal(c.retired, retired, uid);
    }
  });

  it('group classes', () => {
    assert.deepEqual(Object.keys(STORAGE_GROUP_DESCRIPTIONS).sort(), [...STORAGE_GROUPS].sort());
    for (const g of STORAGE_GROUPS) assert.ok(storageSopClassesInGroup(g).length > 0, `empty group ${g}`);
    const nonPatient = storageSopClassesInGroup('non-patient').map((c) => c.keyword);
    for (const keyword of [
      'HangingProtocolStorage',
      'ColorPaletteStorage',
      'GenericImplantTemplateStorage',
      'ImplantAssemblyTemplateStorage',
      'ImplantTemplateGroupStorage',
      'CTDefinedProcedureProtocolStorage',
      'XADefinedProcedureProtocolStorage',
      'ProtocolApprovalStorage',
      'InventoryStorage',
    ]) {
      assert.ok(nonPatient.includes(keyword), `${keyword} not in non-patient`);
    }
    const doc = storageSopClassesInGroup('doc').map((c) => c.keyword);
    assert.deepEqual(doc, [
      'EncapsulatedPDFStorage',
      'EncapsulatedCDAStorage',
      'EncapsulatedSTLStorage',
      'EncapsulatedOBJStorage',
      'EncapsulatedMTLStorage',
    ]);
    assert.ok(storageSopClassesInGroup('ct').some((c) => c.keyword === 'EnhancedCTImageStorage'));
    assert.ok(storageSopClassesInGroup('sr').every((c) => c.group.includes('sr')));
  });

  it('is frozen', () => {
    assert.ok(Object.isFrozen(STORAGE_SOP_CLASSES));
    assert.ok(STORAGE_SOP_CLASSES.every((c) => Object.isFrozen(c) && Object.isFrozen(c.group)));
  });
});

describe('retrieve models', () => {
  it('have valid, unique UIDs, names and keywords', () => {
    const uids: string[] = [];
    for (const m of RETRIEVE_MODELS) {
      const own = [m.find, m.move, m.get].filter((u): u is string => u !== undefined);
      assert.ok(own.length > 0, m.model);
      for (const uid of own) assertValidUid(uid);
      uids.push(...own);
      assert.match(m.model, /^[a-z][a-z-]*$/);
      assert.match(m.keyword, KEYWORD);
    }
    assertUnique(uids, 'UID');
    assertUnique(RETRIEVE_MODEL_NAMES, 'model name');
    assertUnique(RETRIEVE_SOP_CLASSES.map((c) => c.keyword), 'SOP class keyword');
    assert.equal(RETRIEVE_SOP_CLASSES.length, uids.length);
    // Q/R SOP Classes are not storage SOP Classes.
    for (const uid of uids) assert.equal(storageSopClassByUid(uid), undefined, uid);
  });

  it('include every model asked for', () => {
    for (const name of [
      'patient',
      'study',
      'patient-study-only',
      'composite-instance',
      'without-bulk-data',
      'hanging-protocol',
      'color-palette',
      'generic-implant-template',
      'implant-assembly-template',
      'implant-template-group',
      'defined-procedure-protocol',
      'protocol-approval',
      'inventory',
      'repository',
    ]) {
      assert.ok(retrieveModelByName(name), name);
    }
  });

  it('hold known UIDs and levels', () => {
    const study = retrieveModelByName('study');
    assert.equal(study?.get, '1.2.840.10008.5.1.4.1.2.2.3');
    assert.equal(study?.find, '1.2.840.10008.5.1.4.1.2.2.1');
    assert.equal(study?.move, '1.2.840.10008.5.1.4.1.2.2.2');
    assert.deepEqual(study?.levels, ['STUDY', 'SERIES', 'IMAGE']);
    assert.deepEqual(retrieveModelByName('patient')?.levels, ['PATIENT', 'STUDY', 'SERIES', 'IMAGE']);
    assert.equal(retrieveModelByName('patient')?.get, '1.2.840.10008.5.1.4.1.2.1.3');

    const psOnly = retrieveModelByName('patient-study-only');
    assert.equal(psOnly?.retired, true);
    assert.deepEqual(psOnly?.levels, ['PATIENT', 'STUDY']);

    const composite = retrieveModelByName('composite-instance');
    assert.equal(composite?.get, '1.2.840.10008.5.1.4.1.2.4.3');
    assert.equal(composite?.move, '1.2.840.10008.5.1.4.1.2.4.2');
    assert.equal(composite?.find, undefined);
    assert.deepEqual(composite?.levels, ['IMAGE', 'FRAME']);

    const wbd = retrieveModelByName('without-bulk-data');
    assert.equal(wbd?.get, '1.2.840.10008.5.1.4.1.2.5.3');
    assert.equal(wbd?.move, undefined);

    assert.equal(retrieveModelByName('inventory')?.get, '1.2.840.10008.5.1.4.1.1.201.4');
    assert.equal(retrieveModelByName('protocol-approval')?.get, '1.2.840.10008.5.1.4.1.1.200.6');
    assert.equal(retrieveModelByName('defined-procedure-protocol')?.get, '1.2.840.10008.5.1.4.20.3');
    assert.equal(retrieveModelByName('hanging-protocol')?.get, '1.2.840.10008.5.1.4.38.4');
    assert.equal(retrieveModelByName('color-palette')?.get, '1.2.840.10008.5.1.4.39.4');
    assert.deepEqual(retrieveModelByName('hanging-protocol')?.levels, []);
    assert.equal(retrieveModelByName('repository')?.find, '1.2.840.10008.5.1.4.1.1.201.6');
  });

  it('look up by name and by any of find/get/move UID', () => {
    assert.equal(retrieveModelByName('STUDY'), retrieveModelByName('study'));
    assert.equal(retrieveModelByName('nope'), undefined);
    for (const m of RETRIEVE_MODELS) {
      for (const uid of [m.find, m.move, m.get]) {
        if (uid !== undefined) assert.equal(retrieveModelByUid(uid), m);
      }
    }
    assert.equal(retrieveModelByUid('1.2.840.10008.5.1.4.1.1.2'), undefined);
    const get = retrieveSopClassByUid('1.2.840.10008.5.1.4.1.2.2.3');
    assert.equal(get?.operation, 'get');
    assert.equal(get?.keyword, 'StudyRootQueryRetrieveInformationModelGet');
    assert.equal(get?.name, 'Study Root Query/Retrieve Information Model - GET');
    assert.equal(retrieveSopClassByUid('1.2.840.10008.5.1.4.1.2.4.3')?.keyword, 'CompositeInstanceRootRetrieveGet');
    assert.equal(retrieveSopClassByUid('1.2.840.10008.5.1.4.1.2.5.3')?.keyword, 'CompositeInstanceRetrieveWithoutBulkDataGet');
    assert.equal(retrieveSopClassByUid('1.2.840.10008.5.1.4.1.1.201.3')?.keyword, 'InventoryMove');
    assert.equal(retrieveSopClassByUid('1.2.840.10008.5.1.4.39.2')?.keyword, 'ColorPaletteQueryRetrieveInformationModelFind');
    assert.equal(retrieveSopClassByUid('1.2.840.10008.5.1.4.1.1.201.6')?.keyword, 'RepositoryQuery');
  });
});

describe('transfer syntaxes', () => {
  it('have valid, unique UIDs, keywords and short names', () => {
    for (const ts of TRANSFER_SYNTAXES) {
      assertValidUid(ts.uid);
      assert.match(ts.keyword, KEYWORD, ts.uid);
      assert.match(ts.shortName, /^[a-z0-9][a-z0-9-]*$/, ts.uid);
      assert.ok(!(ts.encapsulated && ts.deflated), `both encapsulated and deflated: ${ts.uid}`);
    }
    assertUnique(TRANSFER_SYNTAXES.map((ts) => ts.uid), 'UID');
    assertUnique(TRANSFER_SYNTAXES.map((ts) => ts.keyword), 'keyword');
    assertUnique(TRANSFER_SYNTAXES.map((ts) => ts.shortName), 'shortName');
    assertUnique(TRANSFER_SYNTAXES.map((ts) => ts.name), 'name');
    // A lowercase token must not name two different syntaxes.
    const owner = new Map<string, string>();
    for (const ts of TRANSFER_SYNTAXES) {
      for (const token of new Set([ts.keyword.toLowerCase(), ts.shortName])) {
        assert.ok(!owner.has(token), `token ${token} names ${owner.get(token)} and ${ts.uid}`);
        owner.set(token, ts.uid);
      }
    }
  });

  it('export the four native syntaxes', () => {
    assert.equal(IMPLICIT_VR_LITTLE_ENDIAN, '1.2.840.10008.1.2');
    assert.equal(EXPLICIT_VR_LITTLE_ENDIAN, '1.2.840.10008.1.2.1');
    assert.equal(DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, '1.2.840.10008.1.2.1.99');
    assert.equal(EXPLICIT_VR_BIG_ENDIAN, '1.2.840.10008.1.2.2');
    const implicit = transferSyntaxByUid(IMPLICIT_VR_LITTLE_ENDIAN);
    assert.equal(implicit?.explicitVR, false);
    assert.equal(implicit?.littleEndian, true);
    assert.equal(implicit?.encapsulated, false);
    assert.equal(transferSyntaxByUid(EXPLICIT_VR_LITTLE_ENDIAN)?.explicitVR, true);
    assert.equal(transferSyntaxByUid(DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN)?.deflated, true);
    const big = transferSyntaxByUid(EXPLICIT_VR_BIG_ENDIAN);
    assert.equal(big?.littleEndian, false);
    assert.equal(big?.retired, true);
  });

  it('hold known entries', () => {
    const jls = transferSyntaxByUid('1.2.840.10008.1.2.4.80');
    assert.equal(jls?.keyword, 'JPEGLSLossless');
    assert.equal(jls?.shortName, 'jpeg-ls-lossless');
    assert.equal(jls?.encapsulated, true);
    assert.equal(jls?.lossy, false);
    const ht = transferSyntaxByUid('1.2.840.10008.1.2.4.201');
    assert.equal(ht?.keyword, 'HTJ2KLossless');
    assert.equal(ht?.lossy, false);
    assert.equal(transferSyntaxByUid('1.2.840.10008.1.2.4.202')?.shortName, 'htj2k-rpcl');
    assert.equal(transferSyntaxByUid('1.2.840.10008.1.2.4.203')?.lossy, true);
    for (const uid of ['1.2.840.10008.1.2.4.110', '1.2.840.10008.1.2.4.111', '1.2.840.10008.1.2.4.112']) {
      assert.equal(transferSyntaxByUid(uid)?.encapsulated, true, uid);
    }
    assert.equal(transferSyntaxByUid('1.2.840.10008.1.2.4.50')?.lossy, true);
    assert.equal(transferSyntaxByUid('1.2.840.10008.1.2.4.70')?.shortName, 'jpeg-lossless-sv1');
    assert.equal(transferSyntaxByUid('1.2.840.10008.1.2.5')?.shortName, 'rle');
    assert.equal(transferSyntaxByUid('1.2.840.10008.1.2.1.98')?.encapsulated, true);
    const dif = transferSyntaxByUid('1.2.840.10008.1.2.8.1');
    assert.equal(dif?.encapsulated, true);
    assert.equal(dif?.deflated, false);
    assert.equal(transferSyntaxByUid('1.2.840.10008.1.2.4.95')?.deflated, true);
    assert.equal(transferSyntaxByUid('1.2.840.10008.1.2.4.100')?.shortName, 'mpeg2-mp-ml');
    assert.equal(transferSyntaxByUid('1.2.840.10008.1.2.4.108')?.keyword, 'HEVCM10P51');
    assert.equal(transferSyntaxByUid('1.2.840.10008.1.2.7.1')?.encapsulated, false);
  });

  it('look up by UID, keyword or short name', () => {
    const j2k = transferSyntaxByUid('1.2.840.10008.1.2.4.90');
    assert.ok(j2k);
    assert.equal(transferSyntaxByName('1.2.840.10008.1.2.4.90'), j2k);
    assert.equal(transferSyntaxByName('JPEG2000Lossless'), j2k);
    assert.equal(transferSyntaxByName('jpeg2000lossless'), j2k);
    assert.equal(transferSyntaxByName('j2k-lossless'), j2k);
    assert.equal(transferSyntaxByName('J2K-Lossless'), j2k);
    assert.equal(transferSyntaxByName(' explicit '), transferSyntaxByUid(EXPLICIT_VR_LITTLE_ENDIAN));
    assert.equal(transferSyntaxByName('implicit')?.uid, IMPLICIT_VR_LITTLE_ENDIAN);
    assert.equal(transferSyntaxByName('big-endian')?.uid, EXPLICIT_VR_BIG_ENDIAN);
    assert.equal(transferSyntaxByName('deflated')?.uid, DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN);
    assert.equal(transferSyntaxByName('htj2k')?.uid, '1.2.840.10008.1.2.4.203');
    assert.equal(transferSyntaxByName('no-such-syntax'), undefined);
    assert.equal(transferSyntaxByUid('1.2.840.10008.1.2.1\0'), transferSyntaxByUid(EXPLICIT_VR_LITTLE_ENDIAN));
    for (const ts of TRANSFER_SYNTAXES) {
      assert.equal(transferSyntaxByName(ts.uid), ts);
      assert.equal(transferSyntaxByName(ts.keyword), ts);
      assert.equal(transferSyntaxByName(ts.shortName.toUpperCase()), ts);
    }
  });
});

describe('common attributes (known without loading dcmjs)', () => {
  it('each entry is what dcmjs\'s dictionary says, by keyword and by tag', () => {
    const { nameMap, dictionary } = dcmjs().data.DicomMetaDictionary;
    for (const [keyword, tag, vr] of COMMON_ATTRIBUTES) {
      const tagText = formatTag(tag);
      assert.deepEqual({ tag: nameMap[keyword]?.tag, vr: nameMap[keyword]?.vr }, { tag: tagText, vr }, keyword);
      assert.deepEqual({ name: dictionary[tagText]?.name, vr: dictionary[tagText]?.vr }, { name: keyword, vr }, tagText);
    }
    assert.equal(new Set(COMMON_ATTRIBUTES.map(([k]) => k)).size, COMMON_ATTRIBUTES.length, 'no keyword twice');
  });

  it('look-ups answer the same for a common attribute as for any other', () => {
    assert.deepEqual(lookupAttribute('StudyInstanceUID'), { tag: 0x0020000d, keyword: 'StudyInstanceUID', vr: 'UI' });
    assert.deepEqual(lookupAttribute('(0020,000d)'), lookupAttribute('StudyInstanceUID'));
    assert.deepEqual(attributeByTag(0x00280010), { tag: 0x00280010, keyword: 'Rows', vr: 'US' });
    assert.deepEqual(attributeByKeyword('Rows'), { tag: 0x00280010, keyword: 'Rows', vr: 'US' });
  });
});
