import { asText, type TransformDefinition } from './transform-definition.ts';

export const lower: TransformDefinition = {
  name: 'lower',
  summary: 'Lower case.',
  bare: true,
  elementwise: true,
  compile: () => (value) => asText(value).toLowerCase(),
};
