#!/usr/bin/env node
// Generates spec/schema/*.schema.json from the protocol package's zod schemas, and validates every
// example in spec/examples against both the JSON Schema and the zod schema.
//   node scripts/spec-schemas.mjs           write the schemas
//   node scripts/spec-schemas.mjs --check   fail if a schema drifted or an example is invalid
// Examples are named <schema>.<variant>.json; those under spec/examples/invalid/ must be refused.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import { JSON_SCHEMAS, jsonSchemaDocument } from '../packages/protocol/dist/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const schemaDirectory = join(root, 'spec/schema');
const exampleDirectory = join(root, 'spec/examples');
const check = process.argv.includes('--check');
const problems = [];

const ajv = new Ajv2020({ allErrors: true, strict: false });
ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
ajv.addFormat('uri', /^[a-z][a-z0-9+.-]*:[^\s]*$/i);

for (const name of Object.keys(JSON_SCHEMAS)) {
  const text = `${JSON.stringify(jsonSchemaDocument(name), null, 2)}\n`;
  const file = join(schemaDirectory, `${name}.schema.json`);
  if (check) {
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) {
      problems.push(
        `spec/schema/${name}.schema.json is out of date with packages/protocol: run npm run spec:generate`,
      );
    }
  } else {
    writeFileSync(file, text);
  }
}
if (!check) {
  for (const file of readdirSync(schemaDirectory)) {
    if (!Object.hasOwn(JSON_SCHEMAS, file.replace('.schema.json', ''))) {
      problems.push(`spec/schema/${file} has no schema in packages/protocol: delete it`);
    }
  }
}

function examplesIn(directory) {
  return existsSync(directory) ? readdirSync(directory).filter((file) => file.endsWith('.json')) : [];
}

function validate(file, shouldPass) {
  const name = file.split('.')[0];
  const entry = JSON_SCHEMAS[name];
  const shown = shouldPass ? `spec/examples/${file}` : `spec/examples/invalid/${file}`;
  if (!entry)
    return problems.push(`${shown} names no published schema (${Object.keys(JSON_SCHEMAS).join(', ')})`);
  const document = JSON.parse(
    readFileSync(join(shouldPass ? exampleDirectory : join(exampleDirectory, 'invalid'), file), 'utf8'),
  );
  const jsonSchemaValid = ajv.validate(jsonSchemaDocument(name), document);
  const zod = entry.schema.safeParse(document);
  if (shouldPass && !jsonSchemaValid) problems.push(`${shown} fails its JSON Schema: ${ajv.errorsText()}`);
  if (shouldPass && !zod.success) problems.push(`${shown} fails the protocol schema: ${zod.error.message}`);
  if (!shouldPass && zod.success)
    problems.push(`${shown} should be refused but the protocol schema accepts it`);
}

const valid = examplesIn(exampleDirectory);
for (const file of valid) validate(file, true);
for (const file of examplesIn(join(exampleDirectory, 'invalid'))) validate(file, false);
for (const name of Object.keys(JSON_SCHEMAS)) {
  if (!valid.some((file) => file.startsWith(`${name}.`)))
    problems.push(`spec/examples has no example of ${name}`);
}

if (problems.length > 0) {
  console.error(problems.map((problem) => `spec: ${problem}`).join('\n'));
  process.exit(1);
}
console.log(
  check
    ? `spec: ${Object.keys(JSON_SCHEMAS).length} schemas match packages/protocol; ${valid.length} examples valid`
    : `spec: wrote ${Object.keys(JSON_SCHEMAS).length} schemas to spec/schema`,
);
