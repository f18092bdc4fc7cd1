// SPDX-License-Identifier: MIT
// The Nunjucks side of the template benchmark: renders the skeleton bench_template wrote.
// usage: node nunjucks_bench.js DIR ROUNDS
'use strict';

const fs = require('fs');
const path = require('path');
const modules = path.join(__dirname, '../../tests/compat/nunjucks/node_modules');
const nunjucks = require(path.join(modules, 'nunjucks'));
const get = require(path.join(modules, 'lodash/get'));
const { parseEntityRef } = require(path.join(modules, '@backstage/catalog-model'));

const [dir, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText);
const env = new nunjucks.Environment(null, {
  autoescape: false,
  tags: { variableStart: '${{', variableEnd: '}}' },
});
// Filters as Backstage defines them (parseRepoUrl reduced to the query parameters).
env.addFilter('pick', (obj, key) => get(obj, key));
env.addFilter('parseEntityRef', (ref, ctx) => parseEntityRef(ref, ctx));
env.addFilter('parseRepoUrl', url => {
  const parsed = new URL(`https://${url}`);
  return { host: parsed.host, owner: parsed.searchParams.get('owner'), repo: parsed.searchParams.get('repo') };
});

const context = JSON.parse(fs.readFileSync(path.join(dir, 'context.json'), 'utf8'));
const files = fs.readdirSync(dir).filter(f => f.endsWith('.txt')).sort()
  .map(f => fs.readFileSync(path.join(dir, f), 'utf8'));

let outputBytes = 0;
let start = process.hrtime.bigint();
for (let round = 0; round < rounds; round++) {
  for (const file of files) outputBytes += Buffer.byteLength(env.renderString(file, context));
}
let seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`nunjucks compile+render:  ${(files.length * rounds / seconds).toFixed(0)} files/s, ` +
  `${(outputBytes / seconds / 1e6).toFixed(1)} MB/s (output)`);

const compiled = files.map(f => nunjucks.compile(f, env));
outputBytes = 0;
start = process.hrtime.bigint();
for (let round = 0; round < rounds; round++) {
  for (const tmpl of compiled) outputBytes += Buffer.byteLength(tmpl.render(context));
}
seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(`nunjucks render only:     ${(files.length * rounds / seconds).toFixed(0)} files/s, ` +
  `${(outputBytes / seconds / 1e6).toFixed(1)} MB/s (output)`);
