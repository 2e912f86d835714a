#!/usr/bin/env node
// Fail with a clear message when this Node.js is outside the "engines" range of package.json (the floor that the
// pinned Redocly and Prism declare). Handles the range grammar used there: "||" alternatives of space-separated
// comparators (>=, >, <=, <, =) on full x.y.z versions. Needs no package, so it runs before `npm ci`.
"use strict";
const path = require("path");
const pkg = require(path.join(__dirname, "..", "package.json"));

const parse = (text) => text.replace(/^v/, "").split(".").map(Number);
const compare = (a, b) => {
  for (let i = 0; i < 3; i += 1) {
    if ((a[i] || 0) !== (b[i] || 0)) return (a[i] || 0) < (b[i] || 0) ? -1 : 1;
  }
  return 0;
};
const TESTS = {
  ">=": (c) => c >= 0,
  ">": (c) => c > 0,
  "<=": (c) => c <= 0,
  "<": (c) => c < 0,
  "=": (c) => c === 0,
};

function satisfies(version, range) {
  return range.split("||").some((alternative) =>
    alternative.trim().split(/\s+/).every((comparator) => {
      const match = /^(>=|<=|>|<|=)?v?(\d+(?:\.\d+){0,2})$/.exec(comparator);
      if (!match) throw new Error(`package.json engines: cannot read the comparator "${comparator}"`);
      return TESTS[match[1] || "="](compare(parse(version), parse(match[2])));
    }),
  );
}

function main() {
  let failed = false;
  const wanted = pkg.engines || {};
  if (wanted.node && !satisfies(process.versions.node, wanted.node)) {
    console.error(
      `Node.js ${process.versions.node} is too old or unsupported: this project needs Node.js ${wanted.node} ` +
        "(the range that the pinned @redocly/cli and @stoplight/prism-cli accept; see package.json engines).",
    );
    failed = true;
  }
  if (wanted.npm) {
    const npm = require("child_process").execSync("npm --version", { encoding: "utf8" }).trim();
    if (!satisfies(npm, wanted.npm)) {
      console.error(`npm ${npm} is unsupported: this project needs npm ${wanted.npm} (package.json engines).`);
      failed = true;
    }
  }
  if (failed) process.exit(1);
  console.log(`Node.js ${process.versions.node} is within package.json engines (${wanted.node}).`);
}

if (require.main === module) main();
module.exports = { satisfies };
