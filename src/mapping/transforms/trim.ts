import { asText, type TransformDefinition } from './transform-definition.ts';

export const trim: TransformDefinition = {
  name: 'trim',
  summary: 'Removes spaces (and tabs, non-breaking spaces) at both ends.',
  bare: true,
  elementwise: true,
  compile: () => (value) => asText(value).trim(),
};
