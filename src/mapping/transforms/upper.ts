import { asText, type TransformDefinition } from './transform-definition.ts';

export const upper: TransformDefinition = {
  name: 'upper',
  summary: 'Upper case.',
  bare: true,
  elementwise: true,
  compile: () => (value) => asText(value).toUpperCase(),
};
