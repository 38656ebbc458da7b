#!/usr/bin/env node
// The `taskhook` command: the CLI bundle built by `npm run build` (npm install builds it too).
require('../dist/cli/taskhook.cjs');
