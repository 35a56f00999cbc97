import { asText, TransformError, type TransformDefinition } from './transform-definition.ts';
import { NumberOptionsSchema, notANumber, readNumber, type NumberOptions } from './number.ts';

export const integer: TransformDefinition<NumberOptions> = {
  name: 'integer',
  summary: 'Like number, but refuses fractions ("2.5" is an error, "2.0" is 2).',
  options: NumberOptionsSchema,
  bare: true,
  elementwise: true,
  compile(options) {
    const decimalComma = options?.decimalComma ?? false;
    return (value) => {
      const n = typeof value === 'number' ? value : readNumber(asText(value), decimalComma);
      if (n === undefined) throw notANumber(asText(value), decimalComma);
      if (!Number.isInteger(n)) {
        throw new TransformError('MAPPING_NOT_AN_INTEGER', `expected a whole number, got ${JSON.stringify(asText(value))}`);
      }
      return n;
    };
  },
};
