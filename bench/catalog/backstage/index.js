// SPDX-License-Identifier: MIT
// A Backstage backend with only the catalog plugin and its scaffolder entity
// model module (the Template kind), started by bench/catalog/backstage.sh
// with `--config app-config.yaml`.
const { createBackend } = require('@backstage/backend-defaults');

const backend = createBackend();
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'));
backend.start();
