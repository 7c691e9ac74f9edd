/**
 * Storage SOP Classes of the DICOM Standard.
 *
 * Source: DICOM PS3.4 Annex B (Storage Service Class, Table B.5-1 "Standard SOP
 * Classes"), Annex GG (Non-Patient Object Storage Service Class) and PS3.6
 * Table A-1 ("UID Values"), 2025/2026 editions (UIDs registered up to PS3.6
 * 2026a, incl. the CT "For Processing" and Waveform Presentation State
 * classes). Names and keywords are those of PS3.6 Table A-1; a retired entry
 * carries the suffix " (Retired)" in its name as PS3.6 prints it.
 *
 * Included:
 * - every current Storage SOP Class of PS3.4 Annex B and of the Non-Patient
 *   Object Storage Service Class (Annex GG);
 * - the DICOS (security screening, NEMA) and DICONDE (non-destructive testing,
 *   ASTM) Storage SOP Classes, which are registered in PS3.6 Table A-1;
 * - retired Storage SOP Classes that archives still hold (old Ultrasound and
 *   Nuclear Medicine classes, the Standalone objects, the Trial SR/VL/Waveform
 *   classes, X-Ray Angiographic Bi-Plane, Hardcopy and Stored Print).
 *
 * Not included: Media Storage Directory Storage (1.2.840.10008.1.3.10, the
 * DICOMDIR, never transferred by C-STORE) and the two unnamed retired UIDs
 * 1.2.840.10008.5.1.4.1.1.12.77 and 1.2.840.10008.5.1.4.1.1.40.
 *
 * This is a data table only: it knows nothing of presentation contexts.
 */

/**
 * Groups used to select storage SOP classes (for example to choose which
 * storage presentation contexts to propose for a C-GET). A class may belong to
 * several groups.
 */
export const STORAGE_GROUPS = [
  'cr',
  'dx',
  'mg',
  'ct',
  'mr',
  'us',
  'xa',
  'nm',
  'pet',
  'rt',
  'sr',
  'dose',
  'seg',
  'pr',
  'sc',
  'ot',
  'registration',
  'ophthalmic',
  'ivoct',
  'waveform',
  'vl',
  'video',
  'wsi',
  'doc',
  'raw',
  '3d',
  'protocol',
  'non-patient',
  'print',
  'dicos',
  'diconde',
] as const;

/** One group of storage SOP classes; see STORAGE_GROUP_DESCRIPTIONS. */
export type StorageGroup = (typeof STORAGE_GROUPS)[number];

/** What each storage group holds, for help texts. */
export const STORAGE_GROUP_DESCRIPTIONS: Readonly<Record<StorageGroup, string>> = Object.freeze({
  cr: 'Computed Radiography',
  dx: 'Digital X-Ray (general, intra-oral, 3D craniofacial)',
  mg: 'Mammography and breast imaging (digital mammography, tomosynthesis, breast projection)',
  ct: 'Computed Tomography (incl. enhanced, legacy converted, for processing, CT protocols)',
  mr: 'Magnetic Resonance (incl. spectroscopy, tractography)',
  us: 'Ultrasound (incl. enhanced US volume, photoacoustic)',
  xa: 'X-Ray Angiography and Radiofluoroscopy (incl. 3D angiography, XA protocols)',
  nm: 'Nuclear Medicine',
  pet: 'Positron Emission Tomography',
  rt: 'Radiotherapy (RT plans, doses, structure sets, records, second-generation RT)',
  sr: 'Structured Reports (incl. Key Object Selection, CAD, dose reports)',
  dose: 'Radiation dose objects (dose SRs, RT Dose)',
  seg: 'Segmentations (binary/fractional, surface, label map, height map)',
  pr: 'Presentation states and structured display (softcopy, volumetric, waveform)',
  sc: 'Secondary Capture',
  ot: 'Other derived or supporting objects (parametric map, real world value mapping, content assessment, standalone objects)',
  registration: 'Spatial registration and fiducials',
  ophthalmic: 'Ophthalmology (photography, OCT, measurements, maps, visual fields)',
  ivoct: 'Intravascular Optical Coherence Tomography',
  waveform: 'Waveforms (ECG, hemodynamic, audio, EEG, EMG, respiratory ...)',
  vl: 'Visible Light imaging (endoscopy, microscopy, photography, dermoscopy)',
  video: 'Video (MPEG/HEVC encoded endoscopic, microscopic, photographic video)',
  wsi: 'Whole slide and tiled microscopy, microscopy annotations',
  doc: 'Encapsulated documents (PDF, CDA, STL, OBJ, MTL)',
  raw: 'Raw Data',
  '3d': '3D and volumetric objects (surface scans, meshes, 3D X-ray, volumetric presentation states)',
  protocol: 'Defined/Performed Procedure Protocols and Protocol Approval',
  'non-patient': 'Non-patient objects (hanging protocols, color palettes, implant templates, defined protocols, inventories)',
  print: 'Retired print-related storage (Stored Print, Hardcopy)',
  dicos: 'DICOS security screening objects (NEMA DICOS)',
  diconde: 'DICONDE non-destructive testing objects (ASTM)',
});

/** One Storage SOP Class of PS3.6 Table A-1. */
export interface StorageSopClass {
  /** SOP Class UID. */
  readonly uid: string;
  /** SOP Class Name as in PS3.6 Table A-1. */
  readonly name: string;
  /** Keyword as in PS3.6 Table A-1 (case-sensitive, e.g. `CTImageStorage`). */
  readonly keyword: string;
  /** Groups this class belongs to (at least one). */
  readonly group: readonly StorageGroup[];
  /** Retired from the standard (still met in archives). */
  readonly retired: boolean;
}

const ENTRIES: readonly StorageSopClass[] = [
  // --- Projection radiography -------------------------------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.1', name: 'Computed Radiography Image Storage', keyword: 'ComputedRadiographyImageStorage', group: ['cr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.1.1', name: 'Digital X-Ray Image Storage - For Presentation', keyword: 'DigitalXRayImageStorageForPresentation', group: ['dx'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.1.1.1', name: 'Digital X-Ray Image Storage - For Processing', keyword: 'DigitalXRayImageStorageForProcessing', group: ['dx'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.1.2', name: 'Digital Mammography X-Ray Image Storage - For Presentation', keyword: 'DigitalMammographyXRayImageStorageForPresentation', group: ['mg'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.1.2.1', name: 'Digital Mammography X-Ray Image Storage - For Processing', keyword: 'DigitalMammographyXRayImageStorageForProcessing', group: ['mg'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.1.3', name: 'Digital Intra-Oral X-Ray Image Storage - For Presentation', keyword: 'DigitalIntraOralXRayImageStorageForPresentation', group: ['dx'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.1.3.1', name: 'Digital Intra-Oral X-Ray Image Storage - For Processing', keyword: 'DigitalIntraOralXRayImageStorageForProcessing', group: ['dx'], retired: false },

  // --- CT ---------------------------------------------------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.2', name: 'CT Image Storage', keyword: 'CTImageStorage', group: ['ct'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.2.1', name: 'Enhanced CT Image Storage', keyword: 'EnhancedCTImageStorage', group: ['ct'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.2.2', name: 'Legacy Converted Enhanced CT Image Storage', keyword: 'LegacyConvertedEnhancedCTImageStorage', group: ['ct'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.2.3', name: 'CT Image Storage - For Processing', keyword: 'CTImageStorageForProcessing', group: ['ct'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.2.4', name: 'Enhanced CT Image Storage - For Processing', keyword: 'EnhancedCTImageStorageForProcessing', group: ['ct'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.2.5', name: 'Legacy Converted Enhanced CT Image Storage - For Processing', keyword: 'LegacyConvertedEnhancedCTImageStorageForProcessing', group: ['ct'], retired: false },

  // --- Ultrasound -------------------------------------------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.3', name: 'Ultrasound Multi-frame Image Storage (Retired)', keyword: 'UltrasoundMultiFrameImageStorageRetired', group: ['us'], retired: true },
  { uid: '1.2.840.10008.5.1.4.1.1.3.1', name: 'Ultrasound Multi-frame Image Storage', keyword: 'UltrasoundMultiFrameImageStorage', group: ['us'], retired: false },

  // --- MR ---------------------------------------------------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.4', name: 'MR Image Storage', keyword: 'MRImageStorage', group: ['mr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.4.1', name: 'Enhanced MR Image Storage', keyword: 'EnhancedMRImageStorage', group: ['mr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.4.2', name: 'MR Spectroscopy Storage', keyword: 'MRSpectroscopyStorage', group: ['mr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.4.3', name: 'Enhanced MR Color Image Storage', keyword: 'EnhancedMRColorImageStorage', group: ['mr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.4.4', name: 'Legacy Converted Enhanced MR Image Storage', keyword: 'LegacyConvertedEnhancedMRImageStorage', group: ['mr'], retired: false },

  // --- Nuclear medicine (retired class) and more ultrasound -------------------
  { uid: '1.2.840.10008.5.1.4.1.1.5', name: 'Nuclear Medicine Image Storage (Retired)', keyword: 'NuclearMedicineImageStorageRetired', group: ['nm'], retired: true },
  { uid: '1.2.840.10008.5.1.4.1.1.6', name: 'Ultrasound Image Storage (Retired)', keyword: 'UltrasoundImageStorageRetired', group: ['us'], retired: true },
  { uid: '1.2.840.10008.5.1.4.1.1.6.1', name: 'Ultrasound Image Storage', keyword: 'UltrasoundImageStorage', group: ['us'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.6.2', name: 'Enhanced US Volume Storage', keyword: 'EnhancedUSVolumeStorage', group: ['us', '3d'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.6.3', name: 'Photoacoustic Image Storage', keyword: 'PhotoacousticImageStorage', group: ['us'], retired: false },

  // --- Secondary capture ------------------------------------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.7', name: 'Secondary Capture Image Storage', keyword: 'SecondaryCaptureImageStorage', group: ['sc'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.7.1', name: 'Multi-frame Single Bit Secondary Capture Image Storage', keyword: 'MultiFrameSingleBitSecondaryCaptureImageStorage', group: ['sc'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.7.2', name: 'Multi-frame Grayscale Byte Secondary Capture Image Storage', keyword: 'MultiFrameGrayscaleByteSecondaryCaptureImageStorage', group: ['sc'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.7.3', name: 'Multi-frame Grayscale Word Secondary Capture Image Storage', keyword: 'MultiFrameGrayscaleWordSecondaryCaptureImageStorage', group: ['sc'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.7.4', name: 'Multi-frame True Color Secondary Capture Image Storage', keyword: 'MultiFrameTrueColorSecondaryCaptureImageStorage', group: ['sc'], retired: false },

  // --- Standalone objects (retired) -------------------------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.8', name: 'Standalone Overlay Storage (Retired)', keyword: 'StandaloneOverlayStorage', group: ['ot'], retired: true },
  { uid: '1.2.840.10008.5.1.4.1.1.9', name: 'Standalone Curve Storage (Retired)', keyword: 'StandaloneCurveStorage', group: ['ot'], retired: true },

  // --- Waveforms --------------------------------------------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.9.1', name: 'Waveform Storage - Trial (Retired)', keyword: 'WaveformStorageTrial', group: ['waveform'], retired: true },
  { uid: '1.2.840.10008.5.1.4.1.1.9.1.1', name: '12-lead ECG Waveform Storage', keyword: 'TwelveLeadECGWaveformStorage', group: ['waveform'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.9.1.2', name: 'General ECG Waveform Storage', keyword: 'GeneralECGWaveformStorage', group: ['waveform'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.9.1.3', name: 'Ambulatory ECG Waveform Storage', keyword: 'AmbulatoryECGWaveformStorage', group: ['waveform'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.9.1.4', name: 'General 32-bit ECG Waveform Storage', keyword: 'General32bitECGWaveformStorage', group: ['waveform'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.9.2.1', name: 'Hemodynamic Waveform Storage', keyword: 'HemodynamicWaveformStorage', group: ['waveform'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.9.3.1', name: 'Cardiac Electrophysiology Waveform Storage', keyword: 'CardiacElectrophysiologyWaveformStorage', group: ['waveform'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.9.4.1', name: 'Basic Voice Audio Waveform Storage', keyword: 'BasicVoiceAudioWaveformStorage', group: ['waveform'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.9.4.2', name: 'General Audio Waveform Storage', keyword: 'GeneralAudioWaveformStorage', group: ['waveform'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.9.5.1', name: 'Arterial Pulse Waveform Storage', keyword: 'ArterialPulseWaveformStorage', group: ['waveform'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.9.6.1', name: 'Respiratory Waveform Storage', keyword: 'RespiratoryWaveformStorage', group: ['waveform'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.9.6.2', name: 'Multi-channel Respiratory Waveform Storage', keyword: 'MultichannelRespiratoryWaveformStorage', group: ['waveform'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.9.7.1', name: 'Routine Scalp Electroencephalogram Waveform Storage', keyword: 'RoutineScalpElectroencephalogramWaveformStorage', group: ['waveform'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.9.7.2', name: 'Electromyogram Waveform Storage', keyword: 'ElectromyogramWaveformStorage', group: ['waveform'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.9.7.3', name: 'Electrooculogram Waveform Storage', keyword: 'ElectrooculogramWaveformStorage', group: ['waveform'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.9.7.4', name: 'Sleep Electroencephalogram Waveform Storage', keyword: 'SleepElectroencephalogramWaveformStorage', group: ['waveform'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.9.8.1', name: 'Body Position Waveform Storage', keyword: 'BodyPositionWaveformStorage', group: ['waveform'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.9.100.1', name: 'Waveform Presentation State Storage', keyword: 'WaveformPresentationStateStorage', group: ['pr', 'waveform'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.9.100.2', name: 'Waveform Acquisition Presentation State Storage', keyword: 'WaveformAcquisitionPresentationStateStorage', group: ['pr', 'waveform'], retired: false },

  // --- Standalone LUTs (retired) and presentation states ----------------------
  { uid: '1.2.840.10008.5.1.4.1.1.10', name: 'Standalone Modality LUT Storage (Retired)', keyword: 'StandaloneModalityLUTStorage', group: ['ot'], retired: true },
  { uid: '1.2.840.10008.5.1.4.1.1.11', name: 'Standalone VOI LUT Storage (Retired)', keyword: 'StandaloneVOILUTStorage', group: ['ot'], retired: true },
  { uid: '1.2.840.10008.5.1.4.1.1.11.1', name: 'Grayscale Softcopy Presentation State Storage', keyword: 'GrayscaleSoftcopyPresentationStateStorage', group: ['pr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.11.2', name: 'Color Softcopy Presentation State Storage', keyword: 'ColorSoftcopyPresentationStateStorage', group: ['pr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.11.3', name: 'Pseudo-Color Softcopy Presentation State Storage', keyword: 'PseudoColorSoftcopyPresentationStateStorage', group: ['pr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.11.4', name: 'Blending Softcopy Presentation State Storage', keyword: 'BlendingSoftcopyPresentationStateStorage', group: ['pr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.11.5', name: 'XA/XRF Grayscale Softcopy Presentation State Storage', keyword: 'XAXRFGrayscaleSoftcopyPresentationStateStorage', group: ['pr', 'xa'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.11.6', name: 'Grayscale Planar MPR Volumetric Presentation State Storage', keyword: 'GrayscalePlanarMPRVolumetricPresentationStateStorage', group: ['pr', '3d'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.11.7', name: 'Compositing Planar MPR Volumetric Presentation State Storage', keyword: 'CompositingPlanarMPRVolumetricPresentationStateStorage', group: ['pr', '3d'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.11.8', name: 'Advanced Blending Presentation State Storage', keyword: 'AdvancedBlendingPresentationStateStorage', group: ['pr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.11.9', name: 'Volume Rendering Volumetric Presentation State Storage', keyword: 'VolumeRenderingVolumetricPresentationStateStorage', group: ['pr', '3d'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.11.10', name: 'Segmented Volume Rendering Volumetric Presentation State Storage', keyword: 'SegmentedVolumeRenderingVolumetricPresentationStateStorage', group: ['pr', '3d'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.11.11', name: 'Multiple Volume Rendering Volumetric Presentation State Storage', keyword: 'MultipleVolumeRenderingVolumetricPresentationStateStorage', group: ['pr', '3d'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.11.12', name: 'Variable Modality LUT Softcopy Presentation State Storage', keyword: 'VariableModalityLUTSoftcopyPresentationStateStorage', group: ['pr'], retired: false },

  // --- X-ray angiography / fluoroscopy and 3D X-ray ---------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.12.1', name: 'X-Ray Angiographic Image Storage', keyword: 'XRayAngiographicImageStorage', group: ['xa'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.12.1.1', name: 'Enhanced XA Image Storage', keyword: 'EnhancedXAImageStorage', group: ['xa'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.12.2', name: 'X-Ray Radiofluoroscopic Image Storage', keyword: 'XRayRadiofluoroscopicImageStorage', group: ['xa'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.12.2.1', name: 'Enhanced XRF Image Storage', keyword: 'EnhancedXRFImageStorage', group: ['xa'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.12.3', name: 'X-Ray Angiographic Bi-Plane Image Storage (Retired)', keyword: 'XRayAngiographicBiPlaneImageStorage', group: ['xa'], retired: true },
  { uid: '1.2.840.10008.5.1.4.1.1.13.1.1', name: 'X-Ray 3D Angiographic Image Storage', keyword: 'XRay3DAngiographicImageStorage', group: ['xa', '3d'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.13.1.2', name: 'X-Ray 3D Craniofacial Image Storage', keyword: 'XRay3DCraniofacialImageStorage', group: ['dx', '3d'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.13.1.3', name: 'Breast Tomosynthesis Image Storage', keyword: 'BreastTomosynthesisImageStorage', group: ['mg', '3d'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.13.1.4', name: 'Breast Projection X-Ray Image Storage - For Presentation', keyword: 'BreastProjectionXRayImageStorageForPresentation', group: ['mg'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.13.1.5', name: 'Breast Projection X-Ray Image Storage - For Processing', keyword: 'BreastProjectionXRayImageStorageForProcessing', group: ['mg'], retired: false },

  // --- Intravascular OCT ------------------------------------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.14.1', name: 'Intravascular Optical Coherence Tomography Image Storage - For Presentation', keyword: 'IntravascularOpticalCoherenceTomographyImageStorageForPresentation', group: ['ivoct'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.14.2', name: 'Intravascular Optical Coherence Tomography Image Storage - For Processing', keyword: 'IntravascularOpticalCoherenceTomographyImageStorageForProcessing', group: ['ivoct'], retired: false },

  // --- Nuclear medicine, parametric map ---------------------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.20', name: 'Nuclear Medicine Image Storage', keyword: 'NuclearMedicineImageStorage', group: ['nm'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.30', name: 'Parametric Map Storage', keyword: 'ParametricMapStorage', group: ['ot'], retired: false },

  // --- Raw data, registration, segmentation, surfaces -------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.66', name: 'Raw Data Storage', keyword: 'RawDataStorage', group: ['raw'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.66.1', name: 'Spatial Registration Storage', keyword: 'SpatialRegistrationStorage', group: ['registration'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.66.2', name: 'Spatial Fiducials Storage', keyword: 'SpatialFiducialsStorage', group: ['registration'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.66.3', name: 'Deformable Spatial Registration Storage', keyword: 'DeformableSpatialRegistrationStorage', group: ['registration'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.66.4', name: 'Segmentation Storage', keyword: 'SegmentationStorage', group: ['seg'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.66.5', name: 'Surface Segmentation Storage', keyword: 'SurfaceSegmentationStorage', group: ['seg', '3d'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.66.6', name: 'Tractography Results Storage', keyword: 'TractographyResultsStorage', group: ['mr', '3d'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.66.7', name: 'Label Map Segmentation Storage', keyword: 'LabelMapSegmentationStorage', group: ['seg'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.66.8', name: 'Height Map Segmentation Storage', keyword: 'HeightMapSegmentationStorage', group: ['seg'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.67', name: 'Real World Value Mapping Storage', keyword: 'RealWorldValueMappingStorage', group: ['ot'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.68.1', name: 'Surface Scan Mesh Storage', keyword: 'SurfaceScanMeshStorage', group: ['3d'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.68.2', name: 'Surface Scan Point Cloud Storage', keyword: 'SurfaceScanPointCloudStorage', group: ['3d'], retired: false },

  // --- Visible light ----------------------------------------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.77.1', name: 'VL Image Storage - Trial (Retired)', keyword: 'VLImageStorageTrial', group: ['vl'], retired: true },
  { uid: '1.2.840.10008.5.1.4.1.1.77.2', name: 'VL Multi-frame Image Storage - Trial (Retired)', keyword: 'VLMultiFrameImageStorageTrial', group: ['vl'], retired: true },
  { uid: '1.2.840.10008.5.1.4.1.1.77.1.1', name: 'VL Endoscopic Image Storage', keyword: 'VLEndoscopicImageStorage', group: ['vl'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.77.1.1.1', name: 'Video Endoscopic Image Storage', keyword: 'VideoEndoscopicImageStorage', group: ['vl', 'video'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.77.1.2', name: 'VL Microscopic Image Storage', keyword: 'VLMicroscopicImageStorage', group: ['vl'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.77.1.2.1', name: 'Video Microscopic Image Storage', keyword: 'VideoMicroscopicImageStorage', group: ['vl', 'video'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.77.1.3', name: 'VL Slide-Coordinates Microscopic Image Storage', keyword: 'VLSlideCoordinatesMicroscopicImageStorage', group: ['vl'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.77.1.4', name: 'VL Photographic Image Storage', keyword: 'VLPhotographicImageStorage', group: ['vl'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.77.1.4.1', name: 'Video Photographic Image Storage', keyword: 'VideoPhotographicImageStorage', group: ['vl', 'video'], retired: false },

  // --- Ophthalmology ----------------------------------------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.77.1.5.1', name: 'Ophthalmic Photography 8 Bit Image Storage', keyword: 'OphthalmicPhotography8BitImageStorage', group: ['ophthalmic', 'vl'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.77.1.5.2', name: 'Ophthalmic Photography 16 Bit Image Storage', keyword: 'OphthalmicPhotography16BitImageStorage', group: ['ophthalmic', 'vl'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.77.1.5.3', name: 'Stereometric Relationship Storage', keyword: 'StereometricRelationshipStorage', group: ['ophthalmic'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.77.1.5.4', name: 'Ophthalmic Tomography Image Storage', keyword: 'OphthalmicTomographyImageStorage', group: ['ophthalmic'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.77.1.5.5', name: 'Wide Field Ophthalmic Photography Stereographic Projection Image Storage', keyword: 'WideFieldOphthalmicPhotographyStereographicProjectionImageStorage', group: ['ophthalmic', 'vl'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.77.1.5.6', name: 'Wide Field Ophthalmic Photography 3D Coordinates Image Storage', keyword: 'WideFieldOphthalmicPhotography3DCoordinatesImageStorage', group: ['ophthalmic', 'vl'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.77.1.5.7', name: 'Ophthalmic Optical Coherence Tomography En Face Image Storage', keyword: 'OphthalmicOpticalCoherenceTomographyEnFaceImageStorage', group: ['ophthalmic'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.77.1.5.8', name: 'Ophthalmic Optical Coherence Tomography B-scan Volume Analysis Storage', keyword: 'OphthalmicOpticalCoherenceTomographyBscanVolumeAnalysisStorage', group: ['ophthalmic'], retired: false },

  // --- Microscopy, dermoscopy -------------------------------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.77.1.6', name: 'VL Whole Slide Microscopy Image Storage', keyword: 'VLWholeSlideMicroscopyImageStorage', group: ['vl', 'wsi'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.77.1.7', name: 'Dermoscopic Photography Image Storage', keyword: 'DermoscopicPhotographyImageStorage', group: ['vl'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.77.1.8', name: 'Confocal Microscopy Image Storage', keyword: 'ConfocalMicroscopyImageStorage', group: ['vl'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.77.1.9', name: 'Confocal Microscopy Tiled Pyramidal Image Storage', keyword: 'ConfocalMicroscopyTiledPyramidalImageStorage', group: ['vl', 'wsi'], retired: false },

  // --- Ophthalmic measurements, reports and maps ------------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.78.1', name: 'Lensometry Measurements Storage', keyword: 'LensometryMeasurementsStorage', group: ['ophthalmic'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.78.2', name: 'Autorefraction Measurements Storage', keyword: 'AutorefractionMeasurementsStorage', group: ['ophthalmic'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.78.3', name: 'Keratometry Measurements Storage', keyword: 'KeratometryMeasurementsStorage', group: ['ophthalmic'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.78.4', name: 'Subjective Refraction Measurements Storage', keyword: 'SubjectiveRefractionMeasurementsStorage', group: ['ophthalmic'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.78.5', name: 'Visual Acuity Measurements Storage', keyword: 'VisualAcuityMeasurementsStorage', group: ['ophthalmic'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.78.6', name: 'Spectacle Prescription Report Storage', keyword: 'SpectaclePrescriptionReportStorage', group: ['ophthalmic'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.78.7', name: 'Ophthalmic Axial Measurements Storage', keyword: 'OphthalmicAxialMeasurementsStorage', group: ['ophthalmic'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.78.8', name: 'Intraocular Lens Calculations Storage', keyword: 'IntraocularLensCalculationsStorage', group: ['ophthalmic'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.79.1', name: 'Macular Grid Thickness and Volume Report Storage', keyword: 'MacularGridThicknessAndVolumeReportStorage', group: ['ophthalmic', 'sr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.80.1', name: 'Ophthalmic Visual Field Static Perimetry Measurements Storage', keyword: 'OphthalmicVisualFieldStaticPerimetryMeasurementsStorage', group: ['ophthalmic'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.81.1', name: 'Ophthalmic Thickness Map Storage', keyword: 'OphthalmicThicknessMapStorage', group: ['ophthalmic'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.82.1', name: 'Corneal Topography Map Storage', keyword: 'CornealTopographyMapStorage', group: ['ophthalmic'], retired: false },

  // --- Structured reports -----------------------------------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.88.1', name: 'Text SR Storage - Trial (Retired)', keyword: 'TextSRStorageTrial', group: ['sr'], retired: true },
  { uid: '1.2.840.10008.5.1.4.1.1.88.2', name: 'Audio SR Storage - Trial (Retired)', keyword: 'AudioSRStorageTrial', group: ['sr'], retired: true },
  { uid: '1.2.840.10008.5.1.4.1.1.88.3', name: 'Detail SR Storage - Trial (Retired)', keyword: 'DetailSRStorageTrial', group: ['sr'], retired: true },
  { uid: '1.2.840.10008.5.1.4.1.1.88.4', name: 'Comprehensive SR Storage - Trial (Retired)', keyword: 'ComprehensiveSRStorageTrial', group: ['sr'], retired: true },
  { uid: '1.2.840.10008.5.1.4.1.1.88.11', name: 'Basic Text SR Storage', keyword: 'BasicTextSRStorage', group: ['sr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.88.22', name: 'Enhanced SR Storage', keyword: 'EnhancedSRStorage', group: ['sr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.88.33', name: 'Comprehensive SR Storage', keyword: 'ComprehensiveSRStorage', group: ['sr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.88.34', name: 'Comprehensive 3D SR Storage', keyword: 'Comprehensive3DSRStorage', group: ['sr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.88.35', name: 'Extensible SR Storage', keyword: 'ExtensibleSRStorage', group: ['sr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.88.40', name: 'Procedure Log Storage', keyword: 'ProcedureLogStorage', group: ['sr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.88.50', name: 'Mammography CAD SR Storage', keyword: 'MammographyCADSRStorage', group: ['sr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.88.59', name: 'Key Object Selection Document Storage', keyword: 'KeyObjectSelectionDocumentStorage', group: ['sr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.88.65', name: 'Chest CAD SR Storage', keyword: 'ChestCADSRStorage', group: ['sr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.88.67', name: 'X-Ray Radiation Dose SR Storage', keyword: 'XRayRadiationDoseSRStorage', group: ['sr', 'dose'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.88.68', name: 'Radiopharmaceutical Radiation Dose SR Storage', keyword: 'RadiopharmaceuticalRadiationDoseSRStorage', group: ['sr', 'dose'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.88.69', name: 'Colon CAD SR Storage', keyword: 'ColonCADSRStorage', group: ['sr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.88.70', name: 'Implantation Plan SR Storage', keyword: 'ImplantationPlanSRStorage', group: ['sr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.88.71', name: 'Acquisition Context SR Storage', keyword: 'AcquisitionContextSRStorage', group: ['sr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.88.72', name: 'Simplified Adult Echo SR Storage', keyword: 'SimplifiedAdultEchoSRStorage', group: ['sr', 'us'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.88.73', name: 'Patient Radiation Dose SR Storage', keyword: 'PatientRadiationDoseSRStorage', group: ['sr', 'dose'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.88.74', name: 'Planned Imaging Agent Administration SR Storage', keyword: 'PlannedImagingAgentAdministrationSRStorage', group: ['sr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.88.75', name: 'Performed Imaging Agent Administration SR Storage', keyword: 'PerformedImagingAgentAdministrationSRStorage', group: ['sr'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.88.76', name: 'Enhanced X-Ray Radiation Dose SR Storage', keyword: 'EnhancedXRayRadiationDoseSRStorage', group: ['sr', 'dose'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.88.77', name: 'Waveform Annotation SR Storage', keyword: 'WaveformAnnotationSRStorage', group: ['sr', 'waveform'], retired: false },

  // --- Assessment, annotations, encapsulated documents ------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.90.1', name: 'Content Assessment Results Storage', keyword: 'ContentAssessmentResultsStorage', group: ['ot'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.91.1', name: 'Microscopy Bulk Simple Annotations Storage', keyword: 'MicroscopyBulkSimpleAnnotationsStorage', group: ['wsi'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.104.1', name: 'Encapsulated PDF Storage', keyword: 'EncapsulatedPDFStorage', group: ['doc'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.104.2', name: 'Encapsulated CDA Storage', keyword: 'EncapsulatedCDAStorage', group: ['doc'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.104.3', name: 'Encapsulated STL Storage', keyword: 'EncapsulatedSTLStorage', group: ['doc', '3d'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.104.4', name: 'Encapsulated OBJ Storage', keyword: 'EncapsulatedOBJStorage', group: ['doc', '3d'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.104.5', name: 'Encapsulated MTL Storage', keyword: 'EncapsulatedMTLStorage', group: ['doc', '3d'], retired: false },

  // --- PET, structured display ------------------------------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.128', name: 'Positron Emission Tomography Image Storage', keyword: 'PositronEmissionTomographyImageStorage', group: ['pet'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.128.1', name: 'Legacy Converted Enhanced PET Image Storage', keyword: 'LegacyConvertedEnhancedPETImageStorage', group: ['pet'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.129', name: 'Standalone PET Curve Storage (Retired)', keyword: 'StandalonePETCurveStorage', group: ['pet'], retired: true },
  { uid: '1.2.840.10008.5.1.4.1.1.130', name: 'Enhanced PET Image Storage', keyword: 'EnhancedPETImageStorage', group: ['pet'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.131', name: 'Basic Structured Display Storage', keyword: 'BasicStructuredDisplayStorage', group: ['pr'], retired: false },

  // --- Procedure protocols, protocol approval, inventory ----------------------
  { uid: '1.2.840.10008.5.1.4.1.1.200.1', name: 'CT Defined Procedure Protocol Storage', keyword: 'CTDefinedProcedureProtocolStorage', group: ['non-patient', 'protocol', 'ct'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.200.2', name: 'CT Performed Procedure Protocol Storage', keyword: 'CTPerformedProcedureProtocolStorage', group: ['protocol', 'ct'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.200.3', name: 'Protocol Approval Storage', keyword: 'ProtocolApprovalStorage', group: ['non-patient', 'protocol'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.200.7', name: 'XA Defined Procedure Protocol Storage', keyword: 'XADefinedProcedureProtocolStorage', group: ['non-patient', 'protocol', 'xa'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.200.8', name: 'XA Performed Procedure Protocol Storage', keyword: 'XAPerformedProcedureProtocolStorage', group: ['protocol', 'xa'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.201.1', name: 'Inventory Storage', keyword: 'InventoryStorage', group: ['non-patient'], retired: false },

  // --- Radiotherapy -----------------------------------------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.481.1', name: 'RT Image Storage', keyword: 'RTImageStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.2', name: 'RT Dose Storage', keyword: 'RTDoseStorage', group: ['rt', 'dose'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.3', name: 'RT Structure Set Storage', keyword: 'RTStructureSetStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.4', name: 'RT Beams Treatment Record Storage', keyword: 'RTBeamsTreatmentRecordStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.5', name: 'RT Plan Storage', keyword: 'RTPlanStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.6', name: 'RT Brachy Treatment Record Storage', keyword: 'RTBrachyTreatmentRecordStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.7', name: 'RT Treatment Summary Record Storage', keyword: 'RTTreatmentSummaryRecordStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.8', name: 'RT Ion Plan Storage', keyword: 'RTIonPlanStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.9', name: 'RT Ion Beams Treatment Record Storage', keyword: 'RTIonBeamsTreatmentRecordStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.10', name: 'RT Physician Intent Storage', keyword: 'RTPhysicianIntentStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.11', name: 'RT Segment Annotation Storage', keyword: 'RTSegmentAnnotationStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.12', name: 'RT Radiation Set Storage', keyword: 'RTRadiationSetStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.13', name: 'C-Arm Photon-Electron Radiation Storage', keyword: 'CArmPhotonElectronRadiationStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.14', name: 'Tomotherapeutic Radiation Storage', keyword: 'TomotherapeuticRadiationStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.15', name: 'Robotic-Arm Radiation Storage', keyword: 'RoboticArmRadiationStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.16', name: 'RT Radiation Record Set Storage', keyword: 'RTRadiationRecordSetStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.17', name: 'RT Radiation Salvage Record Storage', keyword: 'RTRadiationSalvageRecordStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.18', name: 'Tomotherapeutic Radiation Record Storage', keyword: 'TomotherapeuticRadiationRecordStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.19', name: 'C-Arm Photon-Electron Radiation Record Storage', keyword: 'CArmPhotonElectronRadiationRecordStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.20', name: 'Robotic Radiation Record Storage', keyword: 'RoboticRadiationRecordStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.21', name: 'RT Radiation Set Delivery Instruction Storage', keyword: 'RTRadiationSetDeliveryInstructionStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.22', name: 'RT Treatment Preparation Storage', keyword: 'RTTreatmentPreparationStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.23', name: 'Enhanced RT Image Storage', keyword: 'EnhancedRTImageStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.24', name: 'Enhanced Continuous RT Image Storage', keyword: 'EnhancedContinuousRTImageStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.481.25', name: 'RT Patient Position Acquisition Instruction Storage', keyword: 'RTPatientPositionAcquisitionInstructionStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.34.1', name: 'RT Beams Delivery Instruction Storage - Trial (Retired)', keyword: 'RTBeamsDeliveryInstructionStorageTrial', group: ['rt'], retired: true },
  { uid: '1.2.840.10008.5.1.4.34.7', name: 'RT Beams Delivery Instruction Storage', keyword: 'RTBeamsDeliveryInstructionStorage', group: ['rt'], retired: false },
  { uid: '1.2.840.10008.5.1.4.34.10', name: 'RT Brachy Application Setup Delivery Instruction Storage', keyword: 'RTBrachyApplicationSetupDeliveryInstructionStorage', group: ['rt'], retired: false },

  // --- DICOS (NEMA, security screening) ----------------------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.501.1', name: 'DICOS CT Image Storage', keyword: 'DICOSCTImageStorage', group: ['dicos'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.501.2.1', name: 'DICOS Digital X-Ray Image Storage - For Presentation', keyword: 'DICOSDigitalXRayImageStorageForPresentation', group: ['dicos'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.501.2.2', name: 'DICOS Digital X-Ray Image Storage - For Processing', keyword: 'DICOSDigitalXRayImageStorageForProcessing', group: ['dicos'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.501.3', name: 'DICOS Threat Detection Report Storage', keyword: 'DICOSThreatDetectionReportStorage', group: ['dicos'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.501.4', name: 'DICOS 2D AIT Storage', keyword: 'DICOS2DAITStorage', group: ['dicos'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.501.5', name: 'DICOS 3D AIT Storage', keyword: 'DICOS3DAITStorage', group: ['dicos'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.501.6', name: 'DICOS Quadrupole Resonance (QR) Storage', keyword: 'DICOSQuadrupoleResonanceStorage', group: ['dicos'], retired: false },

  // --- DICONDE (ASTM, non-destructive testing) ---------------------------------
  { uid: '1.2.840.10008.5.1.4.1.1.601.1', name: 'Eddy Current Image Storage', keyword: 'EddyCurrentImageStorage', group: ['diconde'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.601.2', name: 'Eddy Current Multi-frame Image Storage', keyword: 'EddyCurrentMultiFrameImageStorage', group: ['diconde'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.601.3', name: 'Thermography Image Storage', keyword: 'ThermographyImageStorage', group: ['diconde'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.601.4', name: 'Thermography Multi-frame Image Storage', keyword: 'ThermographyMultiFrameImageStorage', group: ['diconde'], retired: false },
  { uid: '1.2.840.10008.5.1.4.1.1.601.5', name: 'Ultrasound Waveform Storage', keyword: 'UltrasoundWaveformStorage', group: ['diconde', 'waveform'], retired: false },

  // --- Print-related storage (retired) ----------------------------------------
  { uid: '1.2.840.10008.5.1.1.27', name: 'Stored Print Storage SOP Class (Retired)', keyword: 'StoredPrintStorage', group: ['print'], retired: true },
  { uid: '1.2.840.10008.5.1.1.29', name: 'Hardcopy Grayscale Image Storage SOP Class (Retired)', keyword: 'HardcopyGrayscaleImageStorage', group: ['print'], retired: true },
  { uid: '1.2.840.10008.5.1.1.30', name: 'Hardcopy Color Image Storage SOP Class (Retired)', keyword: 'HardcopyColorImageStorage', group: ['print'], retired: true },

  // --- Non-patient objects (PS3.4 Annex GG) ------------------------------------
  { uid: '1.2.840.10008.5.1.4.38.1', name: 'Hanging Protocol Storage', keyword: 'HangingProtocolStorage', group: ['non-patient'], retired: false },
  { uid: '1.2.840.10008.5.1.4.39.1', name: 'Color Palette Storage', keyword: 'ColorPaletteStorage', group: ['non-patient'], retired: false },
  { uid: '1.2.840.10008.5.1.4.43.1', name: 'Generic Implant Template Storage', keyword: 'GenericImplantTemplateStorage', group: ['non-patient'], retired: false },
  { uid: '1.2.840.10008.5.1.4.44.1', name: 'Implant Assembly Template Storage', keyword: 'ImplantAssemblyTemplateStorage', group: ['non-patient'], retired: false },
  { uid: '1.2.840.10008.5.1.4.45.1', name: 'Implant Template Group Storage', keyword: 'ImplantTemplateGroupStorage', group: ['non-patient'], retired: false },
];

/** Every Storage SOP Class of the table, frozen, grouped by kind (mostly in UID order). */
export const STORAGE_SOP_CLASSES: readonly StorageSopClass[] = Object.freeze(
  ENTRIES.map((entry) => Object.freeze({ ...entry, group: Object.freeze([...entry.group]) })),
);

const BY_UID: ReadonlyMap<string, StorageSopClass> = new Map(STORAGE_SOP_CLASSES.map((c) => [c.uid, c]));
const BY_KEYWORD: ReadonlyMap<string, StorageSopClass> = new Map(STORAGE_SOP_CLASSES.map((c) => [c.keyword, c]));

/** Strip the trailing NUL/space padding a UID may carry on the wire. */
function trimUid(uid: string): string {
  return uid.replace(/[\0 ]+$/, '');
}

/** The Storage SOP Class with this UID, or undefined. Trailing NUL/space padding is ignored. */
export function storageSopClassByUid(uid: string): StorageSopClass | undefined {
  return BY_UID.get(trimUid(uid));
}

/** The Storage SOP Class with this PS3.6 keyword (exact, case-sensitive), or undefined. */
export function storageSopClassByKeyword(keyword: string): StorageSopClass | undefined {
  return BY_KEYWORD.get(keyword);
}

/** True if the UID is a Storage SOP Class of this table (retired ones included). */
export function isStorageSopClass(uid: string): boolean {
  return BY_UID.has(trimUid(uid));
}

/** All Storage SOP Classes in a group, in table order (retired ones included). */
export function storageSopClassesInGroup(group: StorageGroup): readonly StorageSopClass[] {
  return STORAGE_SOP_CLASSES.filter((c) => c.group.includes(group));
}
