import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A numbered requirement as stated in the spec. */
export interface SpecRequirement {
  readonly id: string;
  /** `must` when the sentence uses an absolute BCP 14 keyword, `should` otherwise. */
  readonly level: 'must' | 'should';
  readonly file: string;
  /** The sentence, shortened. */
  readonly text: string;
}

const DEFINITION = /\*\*\[([A-Z]+-\d+)\]\*\*/g;
const ABSOLUTE = /\b(MUST|MUST NOT|REQUIRED|SHALL|SHALL NOT)\b/;

/**
 * Reads every requirement id defined (in bold) in `spec/*.md`, with the text up to the next
 * definition or the end of its paragraph, and classifies it as MUST or SHOULD.
 */
export function readSpecRequirements(specDirectory: string): SpecRequirement[] {
  const requirements: SpecRequirement[] = [];
  for (const file of readdirSync(specDirectory)
    .filter((name) => name.endsWith('.md'))
    .sort()) {
    const text = readFileSync(join(specDirectory, file), 'utf8');
    const matches = [...text.matchAll(DEFINITION)];
    matches.forEach((match, index) => {
      const start = (match.index ?? 0) + match[0].length;
      const nextDefinition = matches[index + 1]?.index ?? text.length;
      const paragraphEnd = text.indexOf('\n\n', start);
      const end = Math.min(nextDefinition, paragraphEnd === -1 ? text.length : paragraphEnd);
      const sentence = text.slice(start, end).replace(/\s+/g, ' ').trim();
      requirements.push({
        id: match[1] ?? '',
        level: ABSOLUTE.test(sentence) ? 'must' : 'should',
        file,
        text: sentence.length > 140 ? `${sentence.slice(0, 137)}…` : sentence,
      });
    });
  }
  return requirements;
}
