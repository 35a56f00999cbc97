import { asText, type TransformDefinition } from './transform-definition.ts';

// A word starts after anything that is not a letter, a digit or an apostrophe, so "O'NEIL" stays one word.
const WORD_START = /(^|[^\p{L}\p{N}'’])(\p{L})/gu;

export const title: TransformDefinition = {
  name: 'title',
  summary: 'Title Case: each word lower case with a capital first letter ("ACME CORP" → "Acme Corp").',
  bare: true,
  elementwise: true,
  compile: () => (value) =>
    asText(value)
      .toLowerCase()
      .replace(WORD_START, (_, before: string, letter: string) => before + letter.toUpperCase()),
};
