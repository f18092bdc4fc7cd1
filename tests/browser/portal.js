// SPDX-License-Identifier: MIT
// Walks the demo portal as a person does, with Debian's Chromium and no API
// token: guest sign-in from a signed-out page, search for an entity, its
// page, its docs inside the portal, docs search results, /create, one
// template form, the unprocessed-entities page and sign-out. Environment:
// GREENROOM_URL (base URL), SHOTS (folder for screenshots), PROFILE (an
// empty folder for the browser profile).
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

// Polls /search until `query` finds a link to `href`: the demo's docs are
// built and indexed in the background after start.
async function waitForResult(page, query, href) {
  for (let attempt = 0; attempt < 60; attempt++) {
    await page.goto(base + "/search?query=" + encodeURIComponent(query));
    if ((await page.locator(".search-results a[href^='" + href + "']").count()) > 0) {
      return true;
    }
    await page.waitForTimeout(500);
  }
  return false;
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
    // axe-core is injected as a script, which the pages' CSP would block.
    bypassCSP: true,
  });
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));

  // Signed out, an entity page leads to the sign-in page, and back after it.
  const entityPath = "/catalog/default/component/route-planner";
  await page.goto(base + entityPath);
  check("signed-out view goes to sign-in", page.url().startsWith(base + "/signin?redirect="),
        page.url());
  const guest = page.locator("a", { hasText: "Sign in with a guest account" });
  check("sign-in offers guest", (await guest.count()) === 1);
  await axe(page, "signin");
  await shot(page, "portal-signin");
  await Promise.all([page.waitForURL(base + entityPath), guest.click()]);
  check("sign-in returns to the page", page.url() === base + entityPath, page.url());
  check("signed in as guest", (await text(page, ".user-link")).trim() !== "Sign in");

  // Search from the header box, then open the entity from the results.
  await page.goto(base + "/");
  await page.locator("#header-search").fill("route planner");
  await Promise.all([page.waitForURL(/\/search\?query=route/), page.locator("#header-search").press("Enter")]);
  const entityResult = page.locator(".search-results a[href='" + entityPath + "']");
  check("search finds the entity", (await entityResult.count()) === 1);
  check("search highlights matches", (await page.locator(".search-results mark").count()) > 0);
  await axe(page, "search");
  await shot(page, "portal-search");
  await Promise.all([page.waitForURL(base + entityPath), entityResult.click()]);
  check("entity page opens", (await text(page, "h1")).includes("Route planner"));

  // Its docs tab, then the docs site inside the portal layout.
  await page.locator("nav[aria-label='Entity sections'] a", { hasText: "Docs" }).click();
  await page.waitForURL(/tab=docs/);
  const docsLink = page.locator("a", { hasText: "Read the documentation" });
  const docsResponse = page.waitForResponse((r) => r.url().includes("/docs/default/component/route-planner/"));
  await docsLink.click();
  const response = await docsResponse;
  await page.waitForSelector(".td-content");
  check("docs keep their script-free policy",
        (response.headers()["content-security-policy"] || "").includes("script-src 'none'"));
  check("docs page inside the portal", (await page.locator("nav.sidebar .nav-list").count()) === 1);
  check("docs site navigation", (await page.locator(".td-nav a").count()) > 2);
  check("docs page content", (await text(page, ".td-content h1")).length > 0);
  check("docs sidebar entry is current",
        (await page.locator("nav.sidebar a[aria-current='page']", { hasText: "Docs" }).count()) === 1);
  await axe(page, "docs page");
  await shot(page, "portal-docs");

  // Docs pages are searchable.
  const docsFound = await waitForResult(page, "solver", "/docs/default/component/route-planner/");
  check("search finds docs pages", docsFound);
  if (docsFound) {
    const docsResult = page.locator(".search-results a[href^='/docs/default/component/route-planner/']").first();
    check("docs result is labelled", (await text(page, ".search-results .badge")).length > 0);
    await Promise.all([page.waitForURL(/\/docs\/default\/component\/route-planner\//), docsResult.click()]);
    check("docs result opens the page", (await page.locator(".td-content").count()) === 1);
  }

  // Create: both demo templates, and one template's form.
  await page.goto(base + "/create");
  check("create lists the docs template",
        (await page.locator("a[href='/create/templates/default/docs-site']").count()) > 0);
  check("create lists the Go template",
        (await page.locator("a[href='/create/templates/default/new-go-service']").count()) > 0);
  check("create page inside the portal", (await page.locator("nav.sidebar .nav-list").count()) === 1);
  await axe(page, "create");
  await shot(page, "portal-create");
  await Promise.all([
    page.waitForURL(/\/create\/templates\/default\/new-go-service/),
    page.locator("a.button[href='/create/templates/default/new-go-service']").click(),
  ]);
  check("template form shows its fields", (await page.locator("form.template-form .field").count()) > 0);
  check("template form shows its steps", (await page.locator("ol.progress li").count()) > 1);
  await axe(page, "template form");
  await shot(page, "portal-template-form");

  // Next posts the form back to its own path with the session's CSRF token, which the host
  // checks before the scaffolder reads the fields, and the form moves to its second page.
  await page.fill("form.template-form input[name='name']", "crate-tracker");
  await page.fill("form.template-form input[name='description']", "Tracks crates.");
  await page.fill("form.template-form input[name='owner']", "group:default/platform-team");
  const [posted] = await Promise.all([
    page.waitForResponse((response) => response.request().method() === "POST"),
    page.locator("form.template-form button[value='next']").click(),
  ]);
  await page.waitForLoadState("load");
  check("template form post accepted", posted.status() === 200, "status " + posted.status());
  check("template form reaches its second page",
        (await page.locator("ol.progress li").nth(1).getAttribute("aria-current")) === "step");

  // Unprocessed entities: the guest may read every entity, so both lists open.
  await page.goto(base + "/catalog-unprocessed-entities");
  check("unprocessed entities page opens", (await text(page, "h1")).includes("Unprocessed entities"));
  check("unprocessed entities page offers both lists",
        (await page.locator("nav[aria-label='Unprocessed entity lists'] a").count()) === 2);
  await Promise.all([
    page.waitForURL(/type=pending/),
    page.locator("nav[aria-label='Unprocessed entity lists'] a", { hasText: "Pending" }).click(),
  ]);
  check("pending list is current",
        (await text(page, "nav[aria-label='Unprocessed entity lists'] a[aria-current='page']")) === "Pending");
  await axe(page, "unprocessed entities");
  await shot(page, "portal-unprocessed");

  // Sign-out: the header's form ends the session, and the next page view goes to sign-in.
  await page.goto(base + "/");
  await Promise.all([
    page.waitForURL(base + "/signin"),
    page.locator("form.sign-out button[type='submit']").click(),
  ]);
  check("sign-out goes to sign-in", page.url() === base + "/signin");
  await page.goto(base + "/");
  check("home after sign-out shows sign-in", page.url().startsWith(base + "/signin?redirect="),
        page.url());

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
