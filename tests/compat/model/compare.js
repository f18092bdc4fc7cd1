// SPDX-License-Identifier: MIT
// Validates catalog files with Backstage's own processing steps and with
// `greenroom catalog validate --format json`, then compares the verdict and
// the relations of every document. Exits 1 on any disagreement.
//
// usage: node compare.js GREENROOM_BIN ROOT PATH...
//   ROOT  folder that placeholders may read from (both sides get the same)
//   PATH  files or folders; folders are searched for *.yaml, *.yml and *.json

'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const catalogModel = require('@backstage/catalog-model');
const backend = require('@backstage/plugin-catalog-backend');
const scaffolderModule = require('@backstage/plugin-catalog-backend-module-scaffolder-entity-model');
// The placeholder resolvers are not exported from the package's index.
const placeholderModule = require(path.join(
  path.dirname(require.resolve('@backstage/plugin-catalog-backend')),
  'processors/PlaceholderProcessor.cjs.js',
));
// The same `yaml` package that Backstage's parseEntityYaml uses.
const yaml = require(require.resolve('yaml', {
  paths: [path.dirname(require.resolve('@backstage/plugin-catalog-node'))],
}));

const CATALOG_EXTENSIONS = ['.yaml', '.yml', '.json'];

function listFiles(target, out) {
  const stat = fs.statSync(target);
  if (stat.isFile()) {
    out.push(target);
    return;
  }
  for (const entry of fs.readdirSync(target).sort()) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const child = path.join(target, entry);
    const childStat = fs.statSync(child);
    if (childStat.isDirectory()) listFiles(child, out);
    else if (CATALOG_EXTENSIONS.includes(path.extname(entry))) out.push(child);
  }
}

// A file reader for placeholders with greenroom's rules: relative paths only,
// never leaving ROOT (symbolic links included), at most 1 MiB.
function makeReader(root) {
  const realRoot = fs.realpathSync(root);
  return {
    async readUrl(url) {
      const real = fs.realpathSync(url);
      if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
        throw new Error(`${url} is outside the root folder`);
      }
      const stat = fs.statSync(real);
      if (!stat.isFile()) throw new Error(`${url} is not a regular file`);
      if (stat.size > 1024 * 1024) throw new Error(`${url} is too large`);
      const data = fs.readFileSync(real);
      return { buffer: async () => data };
    },
  };
}

const integrations = {
  byUrl: () => undefined,
  resolveUrl({ url, base }) {
    if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(url)) throw new Error('URLs are not read here');
    if (path.isAbsolute(url)) throw new Error('absolute paths are not read here');
    return path.join(path.dirname(base), url);
  },
};

const policy = catalogModel.EntityPolicies.allOf([
  new catalogModel.SchemaValidEntityPolicy(),
  new catalogModel.DefaultNamespaceEntityPolicy(),
  new catalogModel.NoForeignRootFieldsEntityPolicy(),
  new catalogModel.FieldFormatEntityPolicy(catalogModel.makeValidator()),
]);
const validateEnvelope = catalogModel.entityEnvelopeSchemaValidator();
const validateEntity = catalogModel.entitySchemaValidator();

function relationText(relation) {
  const ref = r => catalogModel.stringifyEntityRef(r);
  return `${ref(relation.source)} ${relation.type} ${ref(relation.target)}`;
}

// The steps of DefaultCatalogProcessingOrchestrator for one entity read from
// a file location, without reading a Location's targets.
async function processEntity(entity, file, root) {
  const locationRef = `file:${path.resolve(file)}`;
  const location = { type: 'file', target: file };
  const errors = [];
  const relations = [];
  const emit = result => {
    if (result.type === 'relation') relations.push(relationText(result.relation));
    else if (result.type === 'error') errors.push(String(result.error));
  };

  // ProcessorOutputCollector: the envelope, then the location annotations.
  entity = validateEnvelope(entity);
  const annotations = entity.metadata.annotations || {};
  if (typeof annotations !== 'object' || Array.isArray(annotations)) {
    throw new Error('metadata.annotations must be a valid object');
  }
  entity = {
    ...entity,
    metadata: {
      ...entity.metadata,
      annotations: {
        ...annotations,
        [catalogModel.ANNOTATION_ORIGIN_LOCATION]: locationRef,
        [catalogModel.ANNOTATION_LOCATION]: locationRef,
      },
    },
  };

  validateEnvelope(entity);
  const placeholders = new placeholderModule.PlaceholderProcessor({
    resolvers: {
      json: placeholderModule.jsonPlaceholderResolver,
      yaml: placeholderModule.yamlPlaceholderResolver,
      text: placeholderModule.textPlaceholderResolver,
    },
    reader: makeReader(root),
    integrations,
  });
  const builtin = new backend.BuiltinKindsEntityProcessor();
  const scaffolder = new scaffolderModule.ScaffolderEntitiesProcessor();
  entity = await placeholders.preProcessEntity(entity, location, emit);
  entity = await builtin.preProcessEntity(entity, location, emit);

  entity = await policy.enforce(entity);
  validateEntity(entity);
  const recognized =
    (await builtin.validateEntityKind(entity)) || (await scaffolder.validateEntityKind(entity));
  if (!recognized) {
    throw new Error(`No processor recognized the entity ${catalogModel.stringifyEntityRef(entity)}`);
  }

  if (entity.kind === 'Location') {
    const type = entity.spec.type ?? 'file';
    const targets = [entity.spec.target, ...(entity.spec.targets ?? [])].filter(t => t);
    for (const target of targets) {
      if (type === 'file' && target.endsWith(path.sep)) {
        errors.push(`file location target ${target} ends with a path separator`);
      }
    }
  }

  await builtin.postProcessEntity(entity, location, emit);
  await scaffolder.postProcessEntity(entity, location, emit);
  return { errors, relations };
}

async function backstageVerdicts(files, root) {
  const verdicts = new Map();
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    let documents;
    try {
      documents = yaml.parseAllDocuments(text, { merge: false });
    } catch (e) {
      verdicts.set(`${file}#file`, { valid: false, errors: [`YAML: ${e}`] });
      continue;
    }
    if (!Array.isArray(documents)) documents = [documents];
    documents.forEach((document, index) => {
      verdicts.set(`${file}#${index}`, { document, pending: true });
    });
  }
  for (const [key, item] of verdicts) {
    if (!item.pending) continue;
    const file = key.slice(0, key.lastIndexOf('#'));
    const { document } = item;
    if (document.errors?.length) {
      verdicts.set(key, { valid: false, errors: [`YAML: ${document.errors[0]}`], yamlError: true });
      continue;
    }
    let json;
    try {
      json = document.toJSON();
    } catch (e) {
      // Backstage's parseEntityYaml does not catch this: reading the file fails.
      verdicts.set(key, { valid: false, errors: [`YAML: ${e.message}`], yamlError: true });
      continue;
    }
    if (json === null || json === undefined) {
      verdicts.delete(key);
      continue;
    }
    if (typeof json !== 'object' || Array.isArray(json)) {
      verdicts.set(key, { valid: false, errors: [`Expected object at root, got ${typeof json}`] });
      continue;
    }
    try {
      const { errors, relations } = await processEntity(json, file, root);
      verdicts.set(key, { valid: errors.length === 0, errors, relations: [...new Set(relations)].sort() });
    } catch (e) {
      verdicts.set(key, { valid: false, errors: [String(e)] });
    }
  }
  return verdicts;
}

function greenroomVerdicts(binary, files, root) {
  let output;
  try {
    output = execFileSync(binary, ['catalog', 'validate', '--format', 'json', '--root', root, ...files], {
      maxBuffer: 256 * 1024 * 1024,
      encoding: 'utf8',
    });
  } catch (e) {
    if (e.status !== 1) throw e;
    output = e.stdout;
  }
  const report = JSON.parse(output);
  const verdicts = new Map();
  for (const entity of report.entities) {
    verdicts.set(`${entity.file}#${entity.document}`, {
      valid: entity.valid,
      errors: entity.problems.map(p => `${p.line}:${p.column}: ${p.pointer} ${p.message}`),
      relations: [...new Set((entity.relations ?? []).map(r => `${r.source} ${r.type} ${r.target}`))].sort(),
    });
  }
  for (const file of report.files) {
    if (file.problems.length) {
      verdicts.set(`${file.file}#file`, {
        valid: false,
        errors: file.problems.map(p => `${p.line}:${p.column}: ${p.message}`),
      });
    }
  }
  return verdicts;
}

function show(label, verdict) {
  if (!verdict) return `  ${label}: (no document)`;
  const lines = [`  ${label}: ${verdict.valid ? 'valid' : 'invalid'}`];
  for (const error of verdict.errors ?? []) lines.push(`    ${error}`);
  return lines.join('\n');
}

// A file that greenroom rejects whole for a YAML error matches when Backstage
// found a YAML error in it too. Its other documents are then not compared.
function fileLevelMatch(key, backstage) {
  const file = key.slice(0, key.lastIndexOf('#'));
  for (const [otherKey, verdict] of backstage) {
    if (otherKey.startsWith(`${file}#`) && !verdict.valid && (verdict.yamlError || otherKey.endsWith('#file'))) {
      return true;
    }
  }
  return false;
}

async function main() {
  const [binary, root, ...targets] = process.argv.slice(2);
  if (!binary || !root || targets.length === 0) {
    console.error('usage: node compare.js GREENROOM_BIN ROOT PATH...');
    process.exit(2);
  }
  const files = [];
  for (const target of targets) listFiles(target, files);

  const backstage = await backstageVerdicts(files, root);
  const greenroom = greenroomVerdicts(binary, files, root);
  const wholeFileErrors = new Set(
    [...greenroom.keys()].filter(k => k.endsWith('#file') && fileLevelMatch(k, backstage)).map(k => k.slice(0, -5)),
  );

  let compared = 0;
  let disagreements = 0;
  let valid = 0;
  const keys = new Set([...backstage.keys(), ...greenroom.keys()]);
  for (const key of [...keys].sort()) {
    const file = key.slice(0, key.lastIndexOf('#'));
    if (wholeFileErrors.has(file)) continue;
    const ours = greenroom.get(key);
    const theirs = backstage.get(key);
    compared++;
    let problem = null;
    if (!ours || !theirs || ours.valid !== theirs.valid) {
      problem = 'verdicts differ';
    } else if (ours.valid && JSON.stringify(ours.relations) !== JSON.stringify(theirs.relations)) {
      problem = `relations differ\n    backstage: ${theirs.relations.join('; ')}\n    greenroom: ${ours.relations.join('; ')}`;
    }
    if (theirs?.valid) valid++;
    if (problem) {
      disagreements++;
      console.log(`DISAGREE ${key}: ${problem}\n${show('backstage', theirs)}\n${show('greenroom', ours)}`);
    }
  }
  console.log(
    `compared ${compared} documents in ${files.length} files (${valid} valid for Backstage, ` +
      `${wholeFileErrors.size} files with YAML errors on both sides): ${disagreements} disagreements`,
  );
  process.exit(disagreements === 0 ? 0 : 1);
}

main().catch(e => {
  console.error(e);
  process.exit(2);
});
