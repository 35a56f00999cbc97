/** The mapping language: records of a customer's file to documents for POST /v1/documents. */
export { compileMapping, GROUPING_DEFAULTS, type CompiledMapping, type CompileOptions, type CompileResult } from './compile-mapping.ts';
export { CustomerSchema, type Customer } from './customer-schema.ts';
export { loadCustomer, type LoadedCustomer } from './load-customer.ts';
export { loadMappings, type MappingsLoad } from './load-mappings.ts';
export { parseLookupTable, type LookupTable } from './lookup-table.ts';
export { mapRecords, type MappingContext, type MappingOutput, type MappingSummary, type Sources } from './map-records.ts';
export { MAPPING_ERROR_CODES, type MappingErrorCode } from './mapping-error-codes.ts';
export { FORMAT_TYPES, MappingSchema, type FormatType, type Mapping } from './mapping-schema.ts';
export { formatConfigError } from './parse-yaml-config.ts';
export { selectMapping, type Selection, type SniffedFile } from './select-mapping.ts';
