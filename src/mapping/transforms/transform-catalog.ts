import type { TransformDefinition } from './transform-definition.ts';
import { defaultValue } from './default-value.ts';
import { integer } from './integer.ts';
import { lookupValue } from './lookup-value.ts';
import { lower } from './lower.ts';
import { mapValues } from './map-values.ts';
import { number } from './number.ts';
import { pad } from './pad.ts';
import { parseBoolean } from './parse-boolean.ts';
import { parseDate } from './parse-date.ts';
import { replaceText } from './replace-text.ts';
import { splitText } from './split-text.ts';
import { substring } from './substring.ts';
import { title } from './title.ts';
import { trim } from './trim.ts';
import { upper } from './upper.ts';

/** Every transform, by the name used in mappings. Adding one here adds it to the schema and the docs. */
export const TRANSFORMS: readonly TransformDefinition<any>[] = [
  trim,
  upper,
  lower,
  title,
  number,
  integer,
  parseDate,
  defaultValue,
  pad,
  replaceText,
  substring,
  splitText,
  mapValues,
  parseBoolean,
  lookupValue,
];

export const TRANSFORM_NAMES = TRANSFORMS.map((t) => t.name);

export function findTransform(name: string): TransformDefinition<any> | undefined {
  return TRANSFORMS.find((t) => t.name === name);
}
