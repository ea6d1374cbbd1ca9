import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import workspace packages by name; point those names at their TypeScript sources so a
// test never runs against a stale build.
const workspaceFolders = ['./packages/', './examples/'].map((folder) =>
  fileURLToPath(new URL(folder, import.meta.url)),
);
const packageFolders = [
  ...workspaceFolders.flatMap((parent) => readdirSync(parent).map((folder) => `${parent}${folder}/`)),
  fileURLToPath(new URL('./conformance/', import.meta.url)),
];
const alias = Object.fromEntries(
  packageFolders.map((folder) => {
    const manifest = JSON.parse(readFileSync(`${folder}package.json`, 'utf8'));
    return [manifest.name as string, `${folder}src/index.ts`];
  }),
);

export default defineConfig({
  resolve: { alias },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'examples/*/src/**/*.test.ts',
      'test/**/*.test.ts',
      'conformance/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
