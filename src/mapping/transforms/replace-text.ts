import { z } from 'zod';
import { asText, ConfigProblem, type TransformDefinition } from './transform-definition.ts';

export const ReplaceOptionsSchema = z.strictObject({
  /** Literal text to replace, every occurrence. Exactly one of find and regex. */
  find: z.string().min(1).optional().describe('Literal text to replace (every occurrence). Exactly one of find and regex.'),
  /** JavaScript regular expression; `$1` in `with` refers to its groups. */
  regex: z.string().min(1).optional().describe('JavaScript regular expression; $1 in `with` refers to its groups.'),
  /** Replacement. Default "" (delete). */
  with: z.string().optional().describe('Replacement. Default "" (delete).'),
  /** Regex flags. Default "g" (every match). */
  flags: z.string().optional().describe('Regex flags. Default "g" (every match).'),
});
export type ReplaceOptions = z.infer<typeof ReplaceOptionsSchema>;

export const replaceText: TransformDefinition<ReplaceOptions> = {
  name: 'replace',
  summary: 'Replaces literal text (`find`) or a regular expression (`regex`, with $1 groups) by `with`.',
  options: ReplaceOptionsSchema,
  bare: false,
  elementwise: true,
  compile(options) {
    const o = options!;
    const replacement = o.with ?? '';
    if ((o.find === undefined) === (o.regex === undefined)) {
      throw new ConfigProblem('MAPPING_INVALID_CONFIG', 'replace needs exactly one of `find` (literal text) and `regex`');
    }
    if (o.find !== undefined) {
      const find = o.find;
      return (value) => asText(value).replaceAll(find, () => replacement);
    }
    let regex: RegExp;
    try {
      regex = new RegExp(o.regex!, o.flags ?? 'g');
    } catch (e) {
      throw new ConfigProblem('MAPPING_BAD_REGEX', `invalid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`, ['regex']);
    }
    return (value) => asText(value).replace(regex, replacement);
  },
};
