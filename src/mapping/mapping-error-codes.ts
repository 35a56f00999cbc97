/**
 * Every error code the mapping language produces, with what it means. One registry, so the docs can list them
 * and a test can check that no code is used without being described here.
 */
export const MAPPING_ERROR_CODES = {
  // Loading and compiling a mapping (placed at file:line:column of the YAML).
  MAPPING_YAML_SYNTAX:
    'The YAML file cannot be parsed: the message names the slip (a key out of line with its siblings, a missing colon or space after it, an unclosed bracket or quote, a tab) at the line to change, with the yaml library\'s own words in parentheses.',
  MAPPING_INVALID_CONFIG: 'A key or value of the mapping does not fit the mapping schema.',
  MAPPING_UNKNOWN_TRANSFORM: 'A transform name is not one of the known transforms.',
  MAPPING_BAD_REGEX: 'A `pattern`, `matches` or `replace.regex` is not a valid regular expression.',
  MAPPING_BAD_EXPR: 'A JSONata `expr` does not compile.',
  MAPPING_BAD_DATE_FORMAT: 'A `date` format uses a token that does not mean what it looks like in luxon (YYYY, DD, mm for months).',
  MAPPING_BAD_TIME_ZONE: 'A time zone is not an IANA zone name (for example Europe/Berlin).',
  MAPPING_TABLE_NOT_FOUND: 'A lookup table file is missing from the customer folder.',
  MAPPING_TABLE_INVALID: 'A lookup table file is in the customer folder but is not a readable CSV.',
  MAPPING_TABLE_COLUMN: 'A lookup table has no column with the given name.',
  MAPPING_UNKNOWN_FIELD:
    'A value, template, condition or grouping key names a field no record of the mapping\'s fixed-width layout has (a typo, a header field without its record\'s prefix, a trailer field): it would read as empty on every record.',
  MAPPING_DATE_ONLY:
    'A `date` transform gives a date alone (yyyy-MM-dd) for a field that holds a moment (expectedArrivalAt): every document would be rejected; `output: datetime` gives the moment.',
  MAPPING_FIELD_NOT_SET: 'A field the document needs (orderNumber, business, ...) has no value in the mapping or customer.yaml.',
  CUSTOMER_INVALID_CONFIG: 'customer.yaml does not fit the customer schema.',
  NO_MAPPING: 'No mapping of the customer matches the file.',
  MAPPING_AMBIGUOUS: 'More than one mapping of the same priority matches the file.',
  // Mapping records (placed at the record: file, line or segment, column or element, document field).
  MAPPING_NOT_A_NUMBER: 'A value that must be a number is not one.',
  MAPPING_NOT_AN_INTEGER: 'A value that must be a whole number has a fraction.',
  MAPPING_BAD_DATE: 'A value does not match any of the date formats.',
  MAPPING_BAD_BOOLEAN: 'A value is not one of the accepted yes/no words.',
  MAPPING_UNMAPPED_VALUE: 'A value is not in the table of a `map` transform.',
  MAPPING_LOOKUP_MISS: 'A value is not in the lookup table.',
  MAPPING_REQUIRED_FIELD: 'A required value is empty.',
  MAPPING_PATTERN_MISMATCH: 'A value does not match the pattern its field requires.',
  MAPPING_EXPR_FAILED: 'A JSONata expression failed on a record.',
  MAPPING_INCONSISTENT_FIELD: 'A document field marked `consistent` differs between the records of one document.',
  MAPPING_UNKNOWN_COLUMN:
    'A condition, value or grouping key reads a column the file (CSV, xlsx) does not have: a typo or a renamed column would silently keep or drop every record, or read as empty on every row.',
  MAPPING_EMPTY_GROUP_KEY: 'A record has an empty grouping key, so it belongs to no document.',
  MAPPING_INVALID_DOCUMENT: 'The assembled document does not fit the document schema.',
  MAPPING_MISSING_ITEM_FIELD: 'An item lacks a field its strategy requires.',
  MAPPING_DUPLICATE_ITEM_KEY: 'Two items of one document have the same lpn + sku.',
  // File-level rejections (thrown as IntakeError from mapRecords).
  MAPPING_GROUP_LIMIT: 'An unsorted file holds more open documents or records than groupBy allows.',
  MAPPING_NOT_SORTED: 'A file declared sorted (groupBy.sorted: true) repeats a key after its group ended.',
  MAPPING_REJECT_FILE: 'A record failed and the mapping says onError: rejectFile.',
  MAPPING_ORDER_SPLIT:
    'Two groups of one file make documents for the same order and a later one would replace the earlier one\'s items (OVERWRITE): every document of that order is rejected (the file, when one already went out).',
} as const;

export type MappingErrorCode = keyof typeof MAPPING_ERROR_CODES;
