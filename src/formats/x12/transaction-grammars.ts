/**
 * The grammar of the transaction sets we flatten, as data (Bots habit): which segments are qualified (and by
 * which element), which start loops and what those loops contain, which elements are mandatory, and how the
 * 856 HL levels and 940 lines are shaped. The flatteners only interpret these tables; a new set or a new
 * qualified segment is a change here, not in code.
 */

/** A segment whose meaning depends on a qualifier element: addressed as `SEG[qualifier]`. */
export interface QualifiedSegmentRule {
  /** Element position of the qualifier (REF01). */
  qualifier: number;
  /** Element position of the value `SEG[q]` resolves to (REF02). */
  value: number;
  /** Also give the first occurrence's elements positionally (`MAN02`), for segments whose qualifier rarely varies. */
  positional?: boolean;
}

export interface SegmentVocabulary {
  qualified: Readonly<Record<string, QualifiedSegmentRule>>;
  /** Segments carrying (qualifier, id) pairs, e.g. LIN02/LIN03, LIN04/LIN05…: addressed as `LIN[UP]`. */
  pairs: Readonly<Record<string, ReadonlyArray<readonly [number, number]>>>;
  /** Loops: the start segment's id → ids of the segments that belong to it when they follow it. */
  loops: Readonly<Record<string, readonly string[]>>;
}

function pairRange(from: number, to: number): Array<readonly [number, number]> {
  const out: Array<readonly [number, number]> = [];
  for (let q = from; q < to; q += 2) out.push([q, q + 1] as const);
  return out;
}

/** Qualified segments shared by every X12 transaction set (their qualifier/value positions never vary). */
export const COMMON_QUALIFIED: Readonly<Record<string, QualifiedSegmentRule>> = {
  REF: { qualifier: 1, value: 2 },
  DTM: { qualifier: 1, value: 2 },
  N9: { qualifier: 1, value: 2 },
  G62: { qualifier: 1, value: 2 },
  // MAN01 is nearly always GM (SSCC-18): `P.MAN02` is how people name the carton label.
  MAN: { qualifier: 1, value: 2, positional: true },
  PER: { qualifier: 1, value: 2 },
  N1: { qualifier: 1, value: 2 },
  // L11 puts the reference first and its qualifier second.
  L11: { qualifier: 2, value: 1 },
};

export const PRODUCT_ID_PAIRS: Readonly<Record<string, ReadonlyArray<readonly [number, number]>>> = {
  LIN: pairRange(2, 31),
  PO1: pairRange(6, 25),
  // W01: W0104/05, W0106/07, and W0115/16 (W0108–W0114 are freight class, commodity and weight).
  W01: [[4, 5], [6, 7], [15, 16]],
  W12: [[6, 7], [16, 17]],
};

/** Elements that must not be empty (AK4 code 1 otherwise). Positions, 1-based. */
export const MANDATORY_ELEMENTS: Readonly<Record<string, readonly number[]>> = {
  BSN: [1, 2, 3],
  HL: [1, 3],
  LIN: [2, 3],
  SN1: [2, 3],
  PRF: [1],
  MAN: [1, 2],
  REF: [1],
  DTM: [1],
  N1: [1],
  N9: [1],
  W05: [1, 2],
  W01: [1, 2],
  LX: [1],
  W76: [1],
};

export const GENERIC_VOCABULARY: SegmentVocabulary = {
  qualified: COMMON_QUALIFIED,
  pairs: PRODUCT_ID_PAIRS,
  loops: { N1: ['N2', 'N3', 'N4', 'REF', 'PER'] },
};

export interface HierarchyGrammar {
  setId: string;
  /** Segment ids the set may hold between ST and SE (see SEGMENTS_OF_SET), the most used first. */
  segments: readonly string[];
  vocabulary: SegmentVocabulary;
  /**
   * Rank of each HL03 level code, used only to find the parent of an HL whose HL02 is empty: the nearest
   * open level of a smaller rank. Unknown codes rank as items.
   */
  levelRank: Readonly<Record<string, number>>;
  defaultRank: number;
  /**
   * Levels that may not have an ancestor of the same level: their records are one per occurrence (an item
   * under an item would put one item's data under the other's prefix, and the outer item would give no record).
   */
  notNested: readonly string[];
  /** Segments that close the HL section (summary area); they are validated but not carried. */
  summary: readonly string[];
}

export const GRAMMAR_856: HierarchyGrammar = {
  setId: '856',
  // The 004010 table (heading BSN DTM; HL loop with its LH1, CLD, N1, SAC, LM, V1 loops; summary CTT), NTE from the
  // 003030 heading and H1/H2 (hazardous material) from other releases, so that no release's segment is refused.
  segments: [
    'HL', 'LIN', 'SN1', 'PRF', 'PID', 'REF', 'DTM', 'MAN', 'TD1', 'TD5', 'TD3', 'TD4', 'N1', 'N2', 'N3', 'N4', 'PER', 'FOB',
    'PO4', 'MEA', 'CLD', 'SLN', 'PWK', 'PKG', 'TSD', 'PAL', 'SDQ', 'ETD', 'CUR', 'SAC', 'GF', 'YNQ', 'LM', 'LQ', 'V1', 'R4',
    'LH1', 'LH2', 'LH3', 'LFH', 'LEP', 'LH4', 'LHT', 'LHR', 'LHE', 'H1', 'H2', 'BSN', 'NTE', 'CTT',
  ],
  vocabulary: {
    qualified: COMMON_QUALIFIED,
    pairs: PRODUCT_ID_PAIRS,
    loops: {
      N1: ['N2', 'N3', 'N4', 'REF', 'PER', 'FOB'],
      // Component/lot detail under an item: CLD with its REF (lot/serial) and DTM.
      CLD: ['REF', 'DTM'],
    },
  },
  levelRank: { S: 1, O: 2, T: 3, P: 4, Q: 4, I: 5 },
  defaultRank: 5,
  notNested: ['I'],
  summary: ['CTT'],
};

export interface LineGrammar {
  setId: string;
  /** Segment ids the set may hold between ST and SE (see SEGMENTS_OF_SET), the most used first. */
  segments: readonly string[];
  vocabulary: SegmentVocabulary;
  /** Segment starting a line group (its fields go on every line in it). */
  lineGroup: string;
  /** Segment starting one line: one record per occurrence. */
  line: string;
  /** Segments after the detail area; their fields are copied onto every line of the set. */
  summary: readonly string[];
  /** Prefix of line-level keys. */
  linePrefix: string;
}

export const GRAMMAR_940: LineGrammar = {
  setId: '940',
  // The 004010 table: heading W05, N1 loop (N2 N3 N4 PER G61), N9 G61 G62 NTE W09 W66 W6 R2 and the LM loop; detail
  // LX loop (MAN SDQ N1 G62) and W01 loop (G69 N9 NTE W20 QTY AMT G62 G66 N1 PER, hazardous LH*, LM/LQ); summary W76.
  // REF (in N1 loops, as later releases carry it) and FOB too: refusing a valid set costs more than letting a
  // rare segment through.
  segments: [
    'W01', 'LX', 'G69', 'N9', 'W20', 'N1', 'N2', 'N3', 'N4', 'REF', 'G62', 'NTE', 'W05', 'W66', 'W76', 'PER', 'G61', 'W09',
    'W6', 'R2', 'LM', 'LQ', 'MAN', 'SDQ', 'QTY', 'AMT', 'G66', 'LH1', 'LH2', 'LH3', 'LH4', 'LH6', 'LHR', 'LFH', 'LEP', 'LHT',
    'LHE', 'FOB',
  ],
  vocabulary: {
    qualified: COMMON_QUALIFIED,
    pairs: PRODUCT_ID_PAIRS,
    loops: { N1: ['N2', 'N3', 'N4', 'REF', 'PER'] },
  },
  lineGroup: 'LX',
  line: 'W01',
  summary: ['W76'],
  linePrefix: 'L.',
};

/**
 * The segment ids a transaction set whose grammar we know may hold. Any other id inside such a set is refused
 * (AK304 1): a misspelt `HK` for `HL` or `ref` for `REF` would otherwise be carried under the loop before it, or
 * dropped, and an item would vanish from a document that reads as accepted. Sets without a grammar here are
 * checked only for the syntax of their ids (SEGMENT_ID).
 */
export const SEGMENTS_OF_SET: Readonly<Record<string, ReadonlySet<string>>> = {
  [GRAMMAR_856.setId]: new Set(GRAMMAR_856.segments),
  [GRAMMAR_940.setId]: new Set(GRAMMAR_940.segments),
};

/** A segment id as X12 writes one: 2 or 3 capital letters or digits, the first a letter. */
export const SEGMENT_ID = /^[A-Z][A-Z0-9]{1,2}$/;
