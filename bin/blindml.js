#!/usr/bin/env node
// The blindml command line. The code is src/cli/ (TypeScript), built into dist/ by `npm run build:ts`.
import { main } from "../dist/src/cli/main.js";

process.exitCode = await main(process.argv);
