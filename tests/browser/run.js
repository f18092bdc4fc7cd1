// SPDX-License-Identifier: MIT
// Drives the web UI of a running `greenroom serve` (the demo catalog) with
// Debian's Chromium: browsing, filtering, paging, tabs, stars, graphs, API
// definitions, importing and themes, plus axe-core checks in both themes.
// Environment: GREENROOM_URL (base URL), GREENROOM_TOKEN (static token),
// IMPORT_FILE (absolute path of a catalog file to import), SHOTS (folder
// for screenshots), PROFILE (an empty folder for the browser profile).
"use strict";

const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const base = process.env.GREENROOM_URL;
const shots = process.env.SHOTS;
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

let passed = 0;
let failed = 0;

function check(name, condition, detail) {
  if (condition) {
    passed++;
    console.log("ok   " + name);
  } else {
    failed++;
    console.log("FAIL " + name + (detail ? ": " + detail : ""));
  }
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, name + ".png"), fullPage: true });
}

async function axe(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ["violations"] })
  );
  const bad = result.violations.filter(
    (v) => v.impact === "serious" || v.impact === "critical"
  );
  check(
    "axe " + name,
    bad.length === 0,
    bad.map((v) => v.id + " (" + v.nodes.map((n) => n.target.join(" ")).join(", ") + ")").join("; ")
  );
}

async function text(page, selector) {
  return (await page.locator(selector).first().textContent()) || "";
}

async function main() {
  const context = await chromium.launchPersistentContext(process.env.PROFILE, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 900 },
    extraHTTPHeaders: { Authorization: "Bearer " + process.env.GREENROOM_TOKEN },
    // axe-core is injected as a script, which the page's CSP would block.
    bypassCSP: true,
  });
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));

  // Home
  await page.goto(base + "/");
  check("home title", (await page.title()).startsWith("Home | "));
  check("home recent changes", (await page.locator("#home-recent + ul li").count()) > 0);
  await shot(page, "home");

  // Catalog: filter by type, then page
  await page.goto(base + "/catalog");
  const before = await text(page, "#results-title");
  check("catalog lists components", /^\d+ component entities/.test(before.trim()), before);
  await Promise.all([
    page.waitForURL(/filters%5Btype%5D=service|filters\[type\]=service/),
    page.locator("input[name='filters[type]'][value='service']").check(),
  ]);
  const after = await text(page, "#results-title");
  check("type filter narrows", parseInt(after) < parseInt(before), before + " -> " + after);
  await shot(page, "catalog-filtered");
  await page.goto(base + "/catalog?filters%5Bkind%5D=all&limit=10");
  const firstRow = await text(page, "#results tbody tr td a");
  await Promise.all([page.waitForURL(/after=/), page.locator("a[rel=next]").click()]);
  const secondRow = await text(page, "#results tbody tr td a");
  check("next page shows other rows", firstRow !== secondRow, firstRow + " / " + secondRow);
  await Promise.all([page.waitForURL(/before=/), page.locator("a[rel=prev]").click()]);
  check("previous page returns", (await text(page, "#results tbody tr td a")) === firstRow);

  // Type-ahead filter without a reload
  await page.goto(base + "/catalog");
  const urlBefore = page.url();
  await page.locator("#filter-text").fill("basket service");
  await page.waitForFunction(() => /^\s*1 /.test(document.getElementById("results-title").textContent));
  check("text filter updates results", (await text(page, "#results-title")).trim().startsWith("1 "));
  check("text filter keeps state in the URL", page.url() !== urlBefore && page.url().includes("basket"));

  // Entity page, tabs and star
  await page.goto(base + "/catalog/default/component/basket-service");
  check("entity header", (await text(page, "h1")).includes("Basket service"));
  await page.locator("nav[aria-label='Entity sections'] a", { hasText: "Inspector" }).click();
  await page.waitForURL(/tab=inspector/);
  check("inspector tab shows YAML", (await text(page, "pre")).includes("kind: Component"));
  await page.locator("nav[aria-label='Entity sections'] a", { hasText: "Overview" }).click();
  const star = page.locator("form[data-star] button");
  await star.click();
  await page.waitForFunction(
    () => document.querySelector("form[data-star] button").getAttribute("aria-pressed") === "true"
  );
  await page.reload();
  check("star persists", (await star.getAttribute("aria-pressed")) === "true");
  await shot(page, "entity");
  await page.goto(base + "/settings");
  check("settings lists the star", (await text(page, "#starred + ul")).includes("Basket service"));

  // Relation graph: follow a node
  await page.goto(base + "/catalog-graph?rootEntityRefs=component:default/basket-service");
  check("graph is SVG", (await page.locator(".graph svg").count()) === 1);
  await shot(page, "graph");
  await Promise.all([
    page.waitForURL(/\/catalog\/default\/system\/storefront/),
    page.locator(".graph svg a[href='/catalog/default/system/storefront'], " +
                 ".graph svg a[*|href='/catalog/default/system/storefront']").first().click(),
  ]);
  check("graph node opens the entity", page.url().endsWith("/catalog/default/system/storefront"));

  // API definition
  await page.goto(base + "/catalog/default/api/payments-api?tab=api");
  check("API definition rendered", (await page.locator(".apidoc .operation").count()) > 0);
  await page.locator(".apidoc .operation summary").first().click();
  await shot(page, "api-definition");

  // Import a location
  await page.goto(base + "/catalog-import");
  await page.locator("#import-target").fill(process.env.IMPORT_FILE);
  await page.locator("button", { hasText: "Analyze" }).click();
  await page.waitForSelector("#import-review, #import-problems");
  const review = "section[aria-labelledby=import-review]";
  check("import review lists the entity",
        (await page.locator(review).count()) === 1 &&
        (await text(page, review)).includes("component:default/browser-imported"));
  await shot(page, "import-review");
  await page.locator("button", { hasText: "Register" }).click();
  await page.waitForSelector("#import-done");
  check("import registers",
        (await text(page, "section[aria-labelledby=import-done]")).includes("is registered"));
  await Promise.all([
    page.waitForURL(/\/catalog-unprocessed-entities$/),
    page.locator("section[aria-labelledby=import-done] a", { hasText: "unprocessed entities" }).click(),
  ]);
  check("import links to the unprocessed entities", (await text(page, "h1")) === "Unprocessed entities");

  // Theme toggle, remembered across reloads
  await page.goto(base + "/");
  const initial = await page.evaluate(() =>
    window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
  await page.locator("[data-theme-toggle]").click();
  const toggled = await page.evaluate(() => document.documentElement.getAttribute("data-theme"));
  check("theme toggles", toggled !== initial && (toggled === "dark" || toggled === "light"));
  await page.reload();
  check("theme remembered",
        (await page.evaluate(() => document.documentElement.getAttribute("data-theme"))) === toggled);

  // Accessibility of the main pages in both themes
  const pages = [
    ["home", "/"],
    ["catalog", "/catalog"],
    ["entity", "/catalog/default/component/basket-service"],
    ["api", "/catalog/default/api/payments-api?tab=api"],
    ["api-docs", "/api-docs"],
    ["graph", "/catalog-graph?rootEntityRefs=component:default/basket-service"],
    ["import", "/catalog-import"],
    ["unprocessed", "/catalog-unprocessed-entities"],
    ["settings", "/settings"],
  ];
  for (const theme of ["light", "dark"]) {
    await context.addCookies([{ name: "gr_theme", value: theme, url: base }]);
    for (const [name, url] of pages) {
      await page.goto(base + url);
      await axe(page, name + " (" + theme + ")");
    }
    await page.goto(base + "/catalog");
    await shot(page, "catalog-" + theme);
  }

  // Phone width
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(base + "/catalog/default/component/basket-service");
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check("no horizontal scrolling at phone width", overflow <= 1, overflow + "px");
  await shot(page, "phone-entity");

  check("no script errors", errors.length === 0, errors.join("; "));
  await context.close();
  console.log(passed + " passed, " + failed + " failed");
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((error) => {
  console.log("FAIL " + (error && error.stack ? error.stack : error));
  console.log(passed + " passed, " + (failed + 1) + " failed");
  process.exit(1);
});
