/**
 * Every error the X12 reader can report, with what it means. One registry so docs and the 997/TA1 builder
 * can rely on the codes; tests check that every code the reader emits is listed here.
 */
export const X12_ERROR_CODES = {
  X12_EMPTY_FILE: 'The file is empty (0 bytes or only whitespace).',
  X12_NOT_EDI: 'The file does not start with an ISA segment (a lowercase "isa" is named as such: X12 segment ids are upper case), or is UTF-16 encoded.',
  X12_EBCDIC: 'The file is EBCDIC-encoded; only ASCII/UTF-8 X12 is accepted.',
  X12_ISA_INVALID: 'The ISA segment is malformed (not 16 elements, an empty fixed-length element, an interchange id or qualifier longer than its fixed width, or cut short).',
  X12_BAD_DELIMITERS: 'The delimiters read from the ISA are unusable (letters, digits, spaces, a line break as element separator, or not distinct); punctuation and control characters are delimiters.',
  X12_SEGMENT_TOO_LONG: 'A segment is longer than maxSegmentLength: the segment terminator is probably wrong.',
  X12_DATA_AFTER_IEA: 'Something other than an ISA follows an IEA (trailing text such as "END OF FILE", quoted in the message, or a lowercase "isa"); the file is refused as a whole. Whitespace, NULs and Ctrl-Z after the last IEA are ignored.',
  X12_TRUNCATED: 'The file ends inside an interchange, group or transaction set (a trailer is missing).',
  X12_SEGMENT_OUTSIDE_ENVELOPE: 'A segment appears where its envelope does not allow it (e.g. ST outside GS).',
  X12_IEA_MISSING: 'A new ISA starts before the IEA of the previous interchange.',
  X12_IEA_COUNT_MISMATCH: 'IEA01 differs from the number of functional groups in the interchange.',
  X12_IEA_CONTROL_MISMATCH: 'IEA02 differs from ISA13.',
  X12_GS_INVALID: 'The GS segment is malformed (missing GS01/GS06/GS08 or too many elements).',
  X12_GE_MISSING: 'A new GS or IEA arrives before the GE of the open group.',
  X12_GE_COUNT_MISMATCH: 'GE01 differs from the number of transaction sets in the group.',
  X12_GE_CONTROL_MISMATCH: 'GE02 differs from GS06.',
  X12_GS_DUPLICATE_CONTROL: 'GS06 repeats the control number of an earlier group in the same interchange (the repeat is refused).',
  X12_GROUP_REJECTED: 'The transaction set is inside a group whose GS is invalid.',
  X12_ST_INVALID: 'ST01 is not a 3-digit transaction set id, or ST02 is missing.',
  X12_ST_DUPLICATE_CONTROL: 'ST02 repeats the control number of an earlier transaction set in the same group (the repeat is refused).',
  X12_SET_NOT_SUPPORTED: 'The transaction set id is not in options.transactionSets.',
  X12_SE_MISSING: 'A new ST, GE or IEA arrives before the SE of the open transaction set.',
  X12_SE_COUNT_MISMATCH: 'SE01 differs from the number of segments in the set (ST and SE included).',
  X12_SE_CONTROL_MISMATCH: 'SE02 differs from ST02.',
  X12_MANDATORY_ELEMENT_MISSING: 'A mandatory element of a segment is empty.',
  X12_HL_INVALID: 'An HL segment is malformed: no HL01/HL03, or HL02 names a parent that is not open.',
  X12_HL_TOO_DEEP: 'HL levels nest deeper than maxHlDepth (the set is rejected).',
  X12_HL_ITEM_IN_ITEM: 'An 856 item HL (I) has another item HL as its parent: one record per item cannot say whose data is whose.',
  X12_SEGMENT_UNKNOWN: 'A segment id inside a transaction set is not an X12 segment id (2-3 capital letters or digits), or not a segment of the set (856, 940); the set is refused (AK3 code 1), naming the segment, its line and a near id.',
  X12_SEGMENT_OUTSIDE_LOOP: 'A segment appears before the loop that must contain it (e.g. LIN before the first HL).',
  X12_LOOP_TOO_LARGE: 'A header, HL level or 940 line holds more segments than a record can carry (10,000): the set is refused.',
  X12_SET_REFUSED_WITH_OTHER: 'A transaction set without errors of its own had records in a document voided for another refused set, group or interchange (documents grouped across sets): it is refused whole (997 AK5 R) and its other documents are voided too.',
  X12_TOO_MANY_ERRORS: 'A transaction set, group or interchange has more errors than are listed (the first 100 are); the rest are summed up by this one.',
} as const;

export type X12ErrorCode = keyof typeof X12_ERROR_CODES;

/** AK502 transaction set syntax error codes (997). */
export const AK5 = {
  notSupported: '1',
  trailerMissing: '2',
  controlNumberMismatch: '3',
  segmentCountMismatch: '4',
  segmentsInError: '5',
  invalidSetId: '6',
  invalidControlNumber: '7',
  controlNumberNotUnique: '23',
} as const;

/** AK304 segment syntax error codes. */
export const AK3 = { unrecognizedSegment: '1', unexpectedSegment: '2', mandatoryMissing: '3', loopOverMaximum: '4', notInProperSequence: '7', hasElementErrors: '8' } as const;

/** AK403 element syntax error codes. */
export const AK4 = { mandatoryMissing: '1', invalidCodeValue: '7', tooManyElements: '3' } as const;

/** AK905 functional group syntax error codes. */
export const AK9 = { trailerMissing: '3', controlNumberMismatch: '4', setCountMismatch: '5', /** 005010 on. */ controlNumberNotUnique: '19' } as const;

/** TA105 interchange note codes. */
export const TA1 = {
  controlNumberMismatch: '001',
  invalidGroupCount: '021',
  invalidControlStructure: '022',
  prematureEndOfFile: '023',
  invalidContent: '024',
  invalidSenderQualifier: '005',
  invalidSenderId: '006',
  invalidReceiverQualifier: '007',
  invalidReceiverId: '008',
  invalidElementSeparator: '026',
  invalidComponentSeparator: '027',
} as const;
