// SPDX-License-Identifier: MIT
// Calls every public method of Backstage's CatalogClient against a greenroom
// server and checks the results against what Backstage's catalog returns.
//
// Environment: BASE_URL (server root), TOKEN (static bearer token),
// FILE_BASE (http root of a local file server holding extra.yaml).
// Exit status: 0 when every check passed, 1 otherwise.
'use strict';

const { CatalogClient } = require('@backstage/catalog-client');

const base = process.env.BASE_URL;
const token = process.env.TOKEN;
const fileBase = process.env.FILE_BASE;

const client = new CatalogClient({
  discoveryApi: { getBaseUrl: async plugin => `${base}/api/${plugin}` },
  fetchApi: {
    fetch: (input, init = {}) => {
      const headers = new Headers(init.headers || {});
      headers.set('Authorization', `Bearer ${token}`);
      return fetch(input, { ...init, headers });
    },
  },
});

let failures = 0;
let passes = 0;

function expect(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

async function check(name, body) {
  try {
    await body();
    passes += 1;
    console.log(`ok   ${name}`);
  } catch (error) {
    failures += 1;
    console.log(`FAIL ${name}: ${error && error.stack ? error.stack : error}`);
  }
}

const refOf = entity =>
  `${entity.kind.toLowerCase()}:${(entity.metadata.namespace || 'default').toLowerCase()}/${
    entity.metadata.name
  }`;

async function expectRejection(promise, status) {
  try {
    await promise;
  } catch (error) {
    expect(error.response && error.response.status === status,
      `expected HTTP ${status}, got ${error.response ? error.response.status : error}`);
    return error;
  }
  throw new Error(`expected HTTP ${status}, but the call succeeded`);
}

async function main() {
  const unauthenticated = await fetch(`${base}/api/catalog/entities?limit=1`);
  await check('requests without a token get 401', async () => {
    expect(unauthenticated.status === 401, `status ${unauthenticated.status}`);
    const body = await unauthenticated.json();
    expect(body.error.name === 'AuthenticationError', JSON.stringify(body));
  });

  let components = [];
  await check('getEntities with filter, fields and limit', async () => {
    const { items } = await client.getEntities({
      filter: { kind: 'Component' },
      fields: ['kind', 'metadata.name', 'spec.type'],
      limit: 4,
    });
    expect(items.length === 4, `got ${items.length} items`);
    for (const entity of items) {
      expect(entity.kind === 'Component', `kind ${entity.kind}`);
      expect(Object.keys(entity).sort().join() === 'kind,metadata,spec', Object.keys(entity).join());
      expect(Object.keys(entity.metadata).join() === 'name', 'metadata has more than name');
    }
  });

  await check('getEntities with OR filters, order and offset', async () => {
    const all = await client.getEntities({
      filter: [{ kind: 'group' }, { kind: 'user' }],
      fields: ['kind', 'metadata.name'],
      order: { field: 'metadata.name', order: 'desc' },
    });
    const names = all.items.map(e => e.metadata.name);
    expect(names.length === 9, `got ${names.length}`);
    expect(JSON.stringify(names) === JSON.stringify([...names].sort().reverse()), names.join());
    const page = await client.getEntities({
      filter: [{ kind: 'group' }, { kind: 'user' }],
      fields: ['metadata.name'],
      order: { field: 'metadata.name', order: 'desc' },
      offset: 2,
      limit: 3,
    });
    expect(JSON.stringify(page.items.map(e => e.metadata.name)) ===
      JSON.stringify(names.slice(2, 5)), page.items.map(e => e.metadata.name).join());
  });

  await check('getEntities with an exists filter and a value containing "="', async () => {
    const { CATALOG_FILTER_EXISTS } = require('@backstage/catalog-client');
    const exists = await client.getEntities({
      filter: { kind: 'component', 'metadata.annotations.backstage.io/techdocs-ref': CATALOG_FILTER_EXISTS },
    });
    expect(exists.items.length === 2, `techdocs-ref exists on ${exists.items.length}`);
    const equals = await client.getEntities({ filter: { 'metadata.annotations.example.com/query': 'a=b' } });
    expect(equals.items.length === 1, `a=b matched ${equals.items.length}`);
  });

  const everything = (await client.getEntities({ fields: ['kind', 'metadata.name', 'metadata.namespace'] })).items;
  components = (await client.getEntities({ filter: { kind: 'component' } })).items;

  await check('queryEntities pages through all entities without gaps or repeats', async () => {
    const seen = [];
    let response = await client.queryEntities({
      limit: 4,
      orderFields: { field: 'metadata.name', order: 'asc' },
      fields: ['kind', 'metadata.name', 'metadata.namespace'],
    });
    const total = response.totalItems;
    expect(total === everything.length, `totalItems ${total}, entities ${everything.length}`);
    expect(!response.pageInfo.prevCursor, 'first page has a prevCursor');
    seen.push(...response.items.map(refOf));
    while (response.pageInfo.nextCursor) {
      response = await client.queryEntities({ cursor: response.pageInfo.nextCursor, limit: 4,
        fields: ['kind', 'metadata.name', 'metadata.namespace'] });
      expect(response.totalItems === total, 'totalItems changed between pages');
      seen.push(...response.items.map(refOf));
    }
    expect(new Set(seen).size === seen.length, 'an entity appeared twice');
    expect(JSON.stringify([...seen].sort()) === JSON.stringify(everything.map(refOf).sort()),
      'pages do not cover every entity');
  });

  await check('queryEntities with a filter goes back with prevCursor', async () => {
    const first = await client.queryEntities({
      filter: { kind: 'component' },
      limit: 3,
      orderFields: [{ field: 'metadata.name', order: 'desc' }],
    });
    expect(first.totalItems === components.length, `totalItems ${first.totalItems}`);
    const second = await client.queryEntities({ cursor: first.pageInfo.nextCursor, limit: 3 });
    expect(second.items.every(e => e.kind === 'Component'), 'filter lost on the second page');
    expect(typeof second.pageInfo.prevCursor === 'string', 'no prevCursor');
    const back = await client.queryEntities({ cursor: second.pageInfo.prevCursor, limit: 3 });
    expect(JSON.stringify(back.items.map(refOf)) === JSON.stringify(first.items.map(refOf)),
      'the previous page differs from the first');
  });

  await check('queryEntities with a predicate query and full-text filter', async () => {
    const byPredicate = await client.queryEntities({
      query: { $all: [{ kind: 'component' }, { 'spec.type': { $in: ['website', 'library'] } }] },
      fields: ['kind', 'spec.type'],
      limit: 2,
    });
    expect(byPredicate.totalItems === 3, `totalItems ${byPredicate.totalItems}`);
    expect(byPredicate.items.every(e => ['website', 'library'].includes(e.spec.type)), 'predicate');
    const rest = await client.queryEntities({ cursor: byPredicate.pageInfo.nextCursor });
    expect(rest.items.length === 1, `second page has ${rest.items.length}`);
    const text = await client.queryEntities({
      filter: { kind: 'component' },
      fullTextFilter: { term: 'CHECK', fields: ['metadata.name'] },
    });
    expect(text.items.map(e => e.metadata.name).sort().join() === 'checkout-api-impl,checkout-web',
      text.items.map(e => e.metadata.name).join());
  });

  await check('queryEntities rejects a malformed cursor with 400', async () => {
    const error = await expectRejection(client.queryEntities({ cursor: 'notacursor' }), 400);
    expect(error.body.error.name === 'InputError', JSON.stringify(error.body));
  });

  await check('streamEntities yields every user', async () => {
    const names = [];
    for await (const page of client.streamEntities({ filter: { kind: 'user' }, pageSize: 2 })) {
      names.push(...page.map(e => e.metadata.name));
    }
    expect(names.length === 6, `streamed ${names.length}`);
  });

  await check('getEntitiesByRefs keeps order and returns missing refs as undefined', async () => {
    const refs = [refOf(components[1]), 'component:default/not-there', refOf(components[0])];
    const { items } = await client.getEntitiesByRefs({ entityRefs: refs, fields: ['metadata.name'] });
    expect(items.length === 3, `got ${items.length}`);
    expect(items[0].metadata.name === components[1].metadata.name, 'slot 0');
    expect(items[1] === undefined, 'slot 1');
    expect(items[2].metadata.name === components[0].metadata.name, 'slot 2');
    const filtered = await client.getEntitiesByRefs({ entityRefs: refs, filter: { 'spec.type': 'website' } });
    expect(filtered.items.filter(Boolean).every(e => e.spec.type === 'website'), 'filter ignored');
  });

  await check('getEntityByRef and getEntityByName', async () => {
    const entity = await client.getEntityByRef('component:default/checkout-web');
    expect(entity && entity.metadata.uid && entity.metadata.etag, 'no uid or etag');
    expect(entity.relations.some(r => r.type === 'ownedBy' && r.targetRef === 'group:default/shop-team'),
      JSON.stringify(entity.relations));
    expect((await client.getEntityByRef('component:default/not-there')) === undefined, 'missing entity');
    const byName = await client.getEntityByName({ kind: 'Group', namespace: 'default', name: 'shop-team' });
    expect(byName && byName.kind === 'Group', 'getEntityByName');
  });

  await check('getEntityAncestors', async () => {
    const ancestry = await client.getEntityAncestors({ entityRef: 'component:default/checkout-web' });
    expect(ancestry.rootEntityRef === 'component:default/checkout-web', ancestry.rootEntityRef);
    expect(ancestry.items.length >= 2, `${ancestry.items.length} items`);
    expect(ancestry.items.every(i => i.entity && Array.isArray(i.parentEntityRefs)), 'item shape');
  });

  await check('getEntityFacets with and without filters', async () => {
    const all = await client.getEntityFacets({ facets: ['kind', 'spec.lifecycle'] });
    const kinds = Object.fromEntries(all.facets.kind.map(f => [f.value, f.count]));
    expect(kinds.Component === components.length, JSON.stringify(all.facets.kind));
    expect(JSON.stringify(all.facets.kind.map(f => f.value)) ===
      JSON.stringify(all.facets.kind.map(f => f.value).sort()), 'facet values not sorted');
    const filtered = await client.getEntityFacets({ facets: ['spec.type'], filter: { kind: 'component' } });
    const total = filtered.facets['spec.type'].reduce((sum, f) => sum + f.count, 0);
    expect(total === components.length, `spec.type counts sum to ${total}`);
    const byQuery = await client.getEntityFacets({ facets: ['kind'], query: { kind: 'user' } });
    expect(byQuery.facets.kind.length === 1 && byQuery.facets.kind[0].count === 6,
      JSON.stringify(byQuery));
  });

  await check('validateEntity accepts a valid and rejects an invalid entity', async () => {
    const good = await client.validateEntity({
      apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'fine' },
      spec: { type: 'service', lifecycle: 'production', owner: 'shop-team' },
    }, 'url:https://example.com/catalog-info.yaml');
    expect(good.valid === true, JSON.stringify(good));
    const bad = await client.validateEntity({
      apiVersion: 'backstage.io/v1alpha1', kind: 'Component', metadata: { name: 'Not Valid!' },
      spec: { type: 'service' },
    }, 'url:https://example.com/catalog-info.yaml');
    expect(bad.valid === false && bad.errors.length > 0 && bad.errors[0].name && bad.errors[0].message,
      JSON.stringify(bad));
  });

  let added;
  const target = `${fileBase}/extra.yaml`;
  await check('addLocation with dryRun reads the target and stores nothing', async () => {
    const dry = await client.addLocation({ type: 'url', target, dryRun: true });
    expect(dry.location.target === target, JSON.stringify(dry.location));
    // As in Backstage, the location's own Location entity comes first.
    expect(dry.entities.length === 2 && dry.entities[0].kind === 'Location', JSON.stringify(dry.entities));
    expect(dry.entities[1].metadata.name === 'extra-service', JSON.stringify(dry.entities));
    expect(dry.exists === false, `exists ${dry.exists}`);
    const locations = await client.getLocations();
    expect(locations.items.length === 0, `${locations.items.length} locations after a dry run`);
  });

  await check('addLocation stores a location and rejects it twice', async () => {
    added = await client.addLocation({ type: 'url', target });
    expect(added.location.id && added.location.type === 'url', JSON.stringify(added));
    expect(Array.isArray(added.entities), 'no entities array');
    const conflict = await expectRejection(client.addLocation({ type: 'url', target }), 409);
    expect(conflict.body.error.name === 'ConflictError', JSON.stringify(conflict.body));
    await expectRejection(client.addLocation({ type: 'nope', target: 'x', dryRun: true }), 400);
  });

  await check('getLocations, getLocationById, getLocationByRef and queryLocations', async () => {
    const { items } = await client.getLocations();
    expect(items.length === 1 && items[0].id === added.location.id, JSON.stringify(items));
    const byId = await client.getLocationById(added.location.id);
    expect(byId && byId.target === target, JSON.stringify(byId));
    expect((await client.getLocationById('00000000-0000-4000-8000-000000000000')) === undefined,
      'missing location');
    const byRef = await client.getLocationByRef(`url:${target}`);
    expect(byRef && byRef.id === added.location.id, JSON.stringify(byRef));
    const queried = await client.queryLocations({ limit: 10 });
    expect(queried.items.length === 1 && queried.totalItems === 1, JSON.stringify(queried));
    const streamed = [];
    for await (const page of client.streamLocations()) {
      streamed.push(...page);
    }
    expect(streamed.length === 1, `streamed ${streamed.length}`);
  });

  await check('getLocationByEntity is undefined for configured locations', async () => {
    const location = await client.getLocationByEntity('component:default/checkout-web');
    expect(location === undefined, JSON.stringify(location));
  });

  await check('analyzeLocation reads an existing catalog file', async () => {
    const result = await client.analyzeLocation({ location: { type: 'url', target } });
    expect(Array.isArray(result.existingEntityFiles) && Array.isArray(result.generateEntities),
      JSON.stringify(result));
  });

  await check('updateLocation moves a location to a new target', async () => {
    const moved = `${fileBase}/moved.yaml`;
    const updated = await client.updateLocation(added.location.id, { type: 'url', target: moved });
    expect(updated.id === added.location.id, JSON.stringify(updated));
    expect(updated.type === 'url', JSON.stringify(updated));
    expect(updated.target === moved, JSON.stringify(updated));
    const byId = await client.getLocationById(added.location.id);
    expect(byId !== undefined, 'updated location not found');
    expect(byId.target === moved, JSON.stringify(byId));
    expect((await client.getLocationByRef(`url:${target}`)) === undefined, 'old target listed');
    const missing = await expectRejection(
      client.updateLocation('00000000-0000-4000-8000-000000000000', { target: moved }), 404);
    expect(missing.body.error.name === 'NotFoundError', JSON.stringify(missing.body));
    const back = await client.updateLocation(added.location.id, { target });
    expect(back.target === target, JSON.stringify(back));
    expect(back.type === 'url', JSON.stringify(back));
  });

  await check('removeLocationById', async () => {
    await client.removeLocationById(added.location.id);
    expect((await client.getLocationByRef(`url:${target}`)) === undefined, 'still listed');
  });

  await check('refreshEntity', async () => {
    await client.refreshEntity('component:default/checkout-web');
    await expectRejection(client.refreshEntity('component:default/not-there'), 404);
  });

  await check('removeEntityByUid', async () => {
    const entity = await client.getEntityByRef('component:default/legacy-lib');
    await client.removeEntityByUid(entity.metadata.uid);
    const after = await fetch(`${base}/api/catalog/entities/by-uid/${entity.metadata.uid}`,
      { headers: { Authorization: `Bearer ${token}` } });
    expect(after.status === 404, `status ${after.status} after delete`);
  });

  console.log(`${passes} passed, ${failures} failed`);
  process.exit(failures ? 1 : 0);
}

main().catch(error => {
  console.error(error);
  process.exit(2);
});
