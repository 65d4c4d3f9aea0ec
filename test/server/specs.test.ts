// This folder's quick tests, the *.spec.ts files, in one process (test/helpers/spec-suite.ts).
import { runSpecs } from '../helpers/spec-suite.js';

await runSpecs(import.meta.url);
