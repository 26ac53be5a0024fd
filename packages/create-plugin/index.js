#!/usr/bin/env node
// The scaffolder lives in dist/; this shim only starts it (`npm init memdesc-plugin` runs this file).
import "./dist/cli.js";
