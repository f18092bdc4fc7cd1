// SPDX-License-Identifier: MIT
// Renders the case table and the templates of the corpus with real Nunjucks, configured as
// Backstage's scaffolder configures it, and with greenroom; reports every difference.
//
// usage: node compare.js GREENROOM_BIN CORPUS_TEMPLATES_DIR
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const nunjucks = require('nunjucks');
const YAML = require('yaml');
const get = require('lodash/get');
const { parseRepoUrl } = require('@backstage/plugin-scaffolder-node');
const { parseEntityRef } = require('@backstage/catalog-model');
const { ScmIntegrations } = require('@backstage/integration');
const { ConfigReader } = require('@backstage/config');
const { context: defaultContext, cases } = require('./cases');

const [greenroomBin, corpusDir] = process.argv.slice(2);
const integrations = ScmIntegrations.fromConfig(new ConfigReader({}));

// Backstage's default filters, called through JSON as its SecureTemplater calls them.
const backstageFilters = {
  parseRepoUrl: url => parseRepoUrl(url, integrations),
  parseEntityRef: (ref, ctx) => parseEntityRef(ref, ctx),
  pick: (obj, key) => get(obj, key),
  projectSlug: url => {
    const { owner, repo } = parseRepoUrl(url, integrations);
    return `${owner}/${repo}`;
  },
};

// Filters that Backstage deployments add beside the defaults, which greenroom has too. Roadie's
// hosted Backstage adds `now`, and Roadie's public templates put it into branch names.
const deploymentFilters = {
  now: () => String(Date.now()),
};

// The clock readings `now` can return while this script runs are masked in both outputs.
const startedAt = Date.now();

function maskClock(text) {
  if (typeof text !== 'string') return text;
  const endedAt = Date.now();
  return text.replace(/\b\d{13}\b/g, digits =>
    Number(digits) >= startedAt && Number(digits) <= endedAt ? '<now>' : digits,
  );
}

function makeEnv(options) {
  const env = new nunjucks.Environment(null, {
    autoescape: false,
    trimBlocks: !!options.trimBlocks,
    lstripBlocks: !!options.lstripBlocks,
    throwOnUndefined: !!options.throwOnUndefined,
    tags:
      options.delimiters === 'nunjucks'
        ? { variableStart: '{{', variableEnd: '}}' }
        : { variableStart: '${{', variableEnd: '}}' },
  });
  for (const [name, fn] of Object.entries(backstageFilters)) {
    env.addFilter(name, (...args) => JSON.parse(JSON.stringify(fn(...args))));
  }
  for (const [name, fn] of Object.entries(deploymentFilters)) {
    env.addFilter(name, fn);
  }
  return env;
}

function renderTemplate(template, context, options) {
  try {
    return { output: makeEnv(options).renderString(template, JSON.parse(JSON.stringify(context))) };
  } catch (error) {
    return { error: String(error.message) };
  }
}

// Backstage's rendering of step inputs: a string that is a single tag keeps its JSON type.
function isSingleTemplateString(input) {
  const parsed = nunjucks.parser.parse(input, {}, {
    autoescape: false,
    tags: { variableStart: '${{', variableEnd: '}}' },
  });
  return (
    parsed.children.length === 1 &&
    !(parsed.children[0]?.children?.[0] instanceof nunjucks.nodes.TemplateData)
  );
}

function renderValue(input, context) {
  const env = makeEnv({});
  const render = (text, ctx) => env.renderString(text, JSON.parse(JSON.stringify(ctx)));
  return JSON.parse(JSON.stringify(input), (_key, value) => {
    try {
      if (typeof value === 'string') {
        try {
          if (isSingleTemplateString(value)) {
            const wrapped = value.replace(/\${{(.+)}}/g, '${{ ( $1 ) | dump }}');
            const templated = render(wrapped, context);
            if (templated === '') return undefined;
            return JSON.parse(templated);
          }
        } catch (error) {
          // Backstage logs this and renders the string as text instead.
        }
        const templated = render(value, context);
        if (templated === '') return undefined;
        return templated;
      }
    } catch {
      return value;
    }
    return value;
  });
}

// Lists the strings of a step input that fail to render. Backstage would leave them as text.
function renderErrors(input, context) {
  const env = makeEnv({});
  const errors = [];
  const visit = value => {
    if (typeof value === 'string') {
      try {
        env.renderString(value, JSON.parse(JSON.stringify(context)));
      } catch (error) {
        errors.push(`${JSON.stringify(value)}: ${error.message}`);
      }
    } else if (value !== null && typeof value === 'object') {
      Object.values(value).forEach(visit);
    }
  };
  visit(input);
  return errors;
}

// ---- corpus -----------------------------------------------------------------

function findFiles(dir, pred, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) findFiles(full, pred, out);
    else if (pred(full)) out.push(full);
  }
  return out;
}

function sampleFor(name, schema) {
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  if (/repoUrl/i.test(name)) return 'github.com?owner=acme&repo=sample-repo';
  if (/owner/i.test(name)) return 'group:default/team-a';
  switch (schema.type) {
    case 'number':
    case 'integer':
      return 42;
    case 'boolean':
      return true;
    case 'array':
      return ['one', 'two'];
    case 'object':
      return { key: 'value' };
    default:
      return `sample-${name}`;
  }
}

function sampleParameters(spec) {
  const pages = Array.isArray(spec.parameters) ? spec.parameters : [spec.parameters || {}];
  const parameters = {};
  for (const page of pages) {
    for (const [name, schema] of Object.entries(page.properties || {})) {
      parameters[name] = sampleFor(name, schema || {});
    }
  }
  return parameters;
}

function sampleSteps(spec) {
  const steps = {};
  for (const step of spec.steps || []) {
    steps[step.id] = {
      output: {
        remoteUrl: 'https://github.com/acme/sample-repo',
        repoContentsUrl: 'https://github.com/acme/sample-repo/blob/main',
        entityRef: 'component:default/sample-repo',
        commitHash: 'abc123',
      },
    };
  }
  return steps;
}

function isText(buffer) {
  if (buffer.includes(0)) return false;
  return Buffer.from(buffer.toString('utf8'), 'utf8').equals(buffer);
}

function corpusCases() {
  const result = [];
  const templates = findFiles(corpusDir, f => /\.ya?ml$/.test(f)).filter(f => {
    const doc = YAML.parseAllDocuments(fs.readFileSync(f, 'utf8'))[0]?.toJSON();
    return doc && doc.kind === 'Template';
  });
  for (const file of templates) {
    const doc = YAML.parse(fs.readFileSync(file, 'utf8'));
    const spec = doc.spec || {};
    const rel = path.relative(corpusDir, file);
    const context = {
      parameters: sampleParameters(spec),
      steps: sampleSteps(spec),
      user: { entity: { metadata: { name: 'jdoe' } }, ref: 'user:default/jdoe' },
      secrets: {},
    };
    for (const [index, step] of (spec.steps || []).entries()) {
      result.push({
        name: `${rel} steps[${index}] (${step.id})`,
        value: { input: step.input ?? null, if: step.if ?? null, name: step.name ?? null },
        context,
        corpus: true,
      });
      if (step.action !== 'fetch:template') continue;
      const input = renderValue(step.input || {}, context);
      if (typeof input.url !== 'string' || /^[a-z]+:/.test(input.url)) continue;
      const skeleton = path.resolve(path.dirname(file), input.url);
      if (!fs.existsSync(skeleton)) continue;
      const options = {
        trimBlocks: !!input.trimBlocks,
        lstripBlocks: !!input.lstripBlocks,
        delimiters: input.cookiecutterCompat ? 'nunjucks' : 'backstage',
      };
      const extension =
        input.templateFileExtension === true ? '.njk' : input.templateFileExtension || null;
      for (const skeletonFile of findFiles(skeleton, () => true)) {
        const relFile = path.relative(skeleton, skeletonFile);
        const buffer = fs.readFileSync(skeletonFile);
        result.push({
          name: `${rel} skeleton path ${relFile}`,
          template: relFile,
          context: { values: input.values || {} },
          options,
          corpus: true,
        });
        if (!isText(buffer) || (extension && !relFile.endsWith(extension))) continue;
        result.push({
          name: `${rel} skeleton ${relFile}`,
          template: buffer.toString('utf8'),
          context: { values: input.values || {} },
          options,
          corpus: true,
        });
      }
    }
    if (spec.output) {
      result.push({ name: `${rel} output`, value: spec.output, context, corpus: true });
    }
  }
  return result;
}

// ---- comparison -------------------------------------------------------------

function main() {
  const all = cases.map(([name, template, options = {}]) => ({
    name,
    template,
    context: options.context ?? defaultContext,
    options,
  }));
  const corpus = corpusDir ? corpusCases() : [];
  all.push(...corpus);

  const batch = all.map(c =>
    c.template !== undefined
      ? { template: c.template, context: c.context, options: c.options }
      : { value: c.value, context: c.context, options: {} },
  );
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gr-nunjucks-'));
  const batchFile = path.join(tmpDir, 'cases.json');
  let results;
  try {
    fs.writeFileSync(batchFile, JSON.stringify(batch));
    results = JSON.parse(
      execFileSync(greenroomBin, ['template', 'render', '--batch', batchFile], {
        maxBuffer: 256 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'inherit'],
      }).toString('utf8'),
    );
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }

  let passed = 0;
  const failures = [];
  all.forEach((c, i) => {
    const ours = results[i];
    let expected;
    let actual;
    if (c.options && c.options.expectError) {
      if (ours.error !== undefined) passed++;
      else failures.push({ name: c.name, template: c.template, expected: 'ERROR', actual: ours.output });
      return;
    }
    // A template of the corpus must render, because an error there means a missing feature.
    if (c.corpus) {
      const errors =
        c.template !== undefined
          ? [renderTemplate(c.template, c.context, c.options).error, ours.error].filter(
              e => e !== undefined,
            )
          : renderErrors(c.value, c.context);
      if (errors.length > 0) {
        failures.push({ name: c.name, template: c.template ?? c.value, expected: 'rendered', actual: `ERROR ${errors.join('; ')}` });
        return;
      }
    }
    if (c.template !== undefined) {
      const reference = renderTemplate(c.template, c.context, c.options);
      if (reference.error !== undefined && ours.error !== undefined) {
        passed++;
        return;
      }
      expected = reference.error !== undefined ? `ERROR ${reference.error}` : reference.output;
      actual = ours.error !== undefined ? `ERROR ${ours.error}` : ours.output;
    } else {
      expected = JSON.stringify(renderValue(c.value, c.context) ?? null);
      actual = ours.error !== undefined ? `ERROR ${ours.error}` : JSON.stringify(ours.value);
      if (actual !== expected && ours.value !== undefined) {
        expected = JSON.stringify(JSON.parse(expected));
        actual = JSON.stringify(ours.value);
      }
    }
    expected = maskClock(expected);
    actual = maskClock(actual);
    if (expected === actual) passed++;
    else failures.push({ name: c.name, template: c.template ?? c.value, expected, actual });
  });

  for (const f of failures) {
    console.log(`FAIL ${f.name}`);
    console.log(`  template: ${JSON.stringify(f.template).slice(0, 400)}`);
    console.log(`  nunjucks: ${JSON.stringify(f.expected).slice(0, 400)}`);
    console.log(`  greenroom: ${JSON.stringify(f.actual).slice(0, 400)}`);
  }
  console.log(
    `nunjucks compat: ${all.length - corpus.length} table cases, ${corpus.length} corpus cases`,
  );
  console.log(`${passed} passed, ${failures.length} failed`);
  process.exit(failures.length === 0 ? 0 : 1);
}

main();
