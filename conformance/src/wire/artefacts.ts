import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** One place a canary was found. */
export interface ArtefactHit {
  readonly file: string;
  /** Which canary, by the label the caller gave it. */
  readonly label: string;
}

/** Every regular file at these paths (directories walked), skipping what vanished meanwhile. */
export function artefactFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  const visit = (path: string) => {
    let stats: ReturnType<typeof statSync>;
    try {
      stats = statSync(path);
    } catch {
      return;
    }
    if (stats.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
    else if (stats.isFile()) files.push(path);
  };
  for (const path of paths) visit(path);
  return files;
}

/**
 * Searches files byte for byte for canaries, as UTF-8 text and in the encodings a careless
 * wallet might store them in (base64, base64url, hex), so that "encoded" does not pass for
 * "protected" (spec 8.4, canaries).
 */
export function searchArtefacts(
  paths: readonly string[],
  canaries: ReadonlyMap<string, string>,
  options: { encodings?: boolean } = {},
): ArtefactHit[] {
  const needles: { label: string; bytes: Buffer }[] = [];
  for (const [label, value] of canaries) {
    const raw = Buffer.from(value, 'utf8');
    needles.push({ label, bytes: raw });
    if (options.encodings) {
      for (const encoded of [
        raw.toString('base64').replace(/=+$/, ''),
        raw.toString('base64url'),
        raw.toString('hex'),
      ])
        needles.push({ label: `${label} (encoded)`, bytes: Buffer.from(encoded, 'utf8') });
    }
  }
  const hits: ArtefactHit[] = [];
  for (const file of artefactFiles(paths)) {
    const content = readFileSync(file);
    for (const needle of needles) {
      if (content.includes(needle.bytes)) hits.push({ file, label: needle.label });
    }
  }
  return hits;
}

/** Whether any of the files holds `marker`, the positive control that the artefacts are the wallet's. */
export function artefactsContain(paths: readonly string[], marker: string): boolean {
  const bytes = Buffer.from(marker, 'utf8');
  return artefactFiles(paths).some((file) => readFileSync(file).includes(bytes));
}
