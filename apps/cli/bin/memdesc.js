#!/usr/bin/env node
// The CLI lives in dist/; this shim only loads it, so `npx memdesc` starts as fast as node does.
import "../dist/main.js";
