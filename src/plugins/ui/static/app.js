// SPDX-License-Identifier: MIT
// Progressive enhancement of the server-rendered pages. Every page works
// without this file; it only saves round trips and reloads.
(function () {
  "use strict";

  var root = document.documentElement;

  function effectiveTheme() {
    var mode = root.getAttribute("data-theme");
    if (mode === "light" || mode === "dark") return mode;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches
      ? "dark"
      : "light";
  }

  // Theme toggle: flip at once and remember the choice for a year in the
  // same cookie the server reads, instead of posting the form.
  function setupThemeToggle() {
    var button = document.querySelector("[data-theme-toggle]");
    if (!button) return;
    button.setAttribute("aria-pressed", effectiveTheme() === "dark" ? "true" : "false");
    button.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var next = effectiveTheme() === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      document.cookie = "gr_theme=" + next + "; path=/; max-age=31536000; samesite=lax";
      button.setAttribute("aria-pressed", next === "dark" ? "true" : "false");
    });
  }

  // Filters of the catalog and API tables: submit on change, and replace
  // only the results while typing in the text filter.
  function setupFilters() {
    var form = document.querySelector("form[data-filters]");
    if (!form) return;
    var region = document.getElementById(form.getAttribute("data-filters"));
    var timer = null;
    var pending = null;

    function refresh() {
      var params = new URLSearchParams(new FormData(form));
      var url = form.getAttribute("action") + "?" + params.toString();
      if (pending) pending.abort();
      pending = new AbortController();
      fetch(url, { signal: pending.signal, credentials: "same-origin" })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById(region.id);
          if (fresh) region.replaceWith(fresh);
          region = document.getElementById(region.id);
          history.replaceState(null, "", url);
        })
        .catch(function () { /* aborted by a newer request, or offline */ });
    }

    form.addEventListener("change", function (event) {
      if (event.target.type === "search") return;
      form.submit();
    });
    form.addEventListener("input", function (event) {
      if (event.target.type !== "search" || !region) return;
      clearTimeout(timer);
      timer = setTimeout(refresh, 200);
    });
  }

  // Star buttons: post in the background and flip the button.
  function setupStars() {
    document.querySelectorAll("form[data-star]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = form.querySelector("button");
        var body = new URLSearchParams(new FormData(form));
        fetch(form.action, {
          method: "POST",
          body: body,
          credentials: "same-origin",
          redirect: "manual"
        }).then(function () {
          var starred = button.getAttribute("aria-pressed") !== "true";
          button.setAttribute("aria-pressed", starred ? "true" : "false");
          form.querySelector("input[name=starred]").value = starred ? "0" : "1";
          button.querySelector("span").textContent = starred ? "Starred" : "Star";
        });
      });
    });
  }

  // Type-ahead for the header search box from entity names.
  function setupSuggestions() {
    var input = document.querySelector("input[data-suggest]");
    if (!input) return;
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var term = input.value.trim();
      if (term.length < 2) return;
      timer = setTimeout(function () {
        fetch(input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(term), {
          credentials: "same-origin"
        })
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (items) {
            list.textContent = "";
            items.forEach(function (item) {
              var option = document.createElement("option");
              option.value = item.title;
              option.label = item.ref;
              list.appendChild(option);
            });
          })
          .catch(function () {});
      }, 150);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupThemeToggle();
    setupFilters();
    setupStars();
    setupSuggestions();
  });
})();
