/* SPDX-License-Identifier: MIT */
/* The `greenroom techdocs build` command: builds a docs site like techdocs-cli generate. */
#include "plugins/techdocs/build/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host/common/alloc.h"
#include "host/common/error.h"
#include "plugins/techdocs/build/build.h"

const char gr_techdocs_build_usage[] =
    "usage: greenroom techdocs build [SRC_DIR] [-o OUT_DIR] [--strict]\n"
    "\n"
    "Builds the TechDocs site whose mkdocs.yml is in SRC_DIR (default: the current\n"
    "folder; a path to the mkdocs.yml file itself also works) into OUT_DIR\n"
    "(default: ./site) as MkDocs would: one HTML fragment per\n"
    "page at page/index.html, the docs' other files, techdocs_nav.json,\n"
    "search/search_index.json and techdocs_metadata.json.\n"
    "\n"
    "Options:\n"
    "  -o, --output-dir OUT_DIR  folder to write the site to (default: ./site)\n"
    "  --strict                  fail (exit 1) when a link or nav entry names a\n"
    "                            missing page or file\n"
    "\n"
    "Exit status: 0 built, 1 build failed or strict warnings, 2 usage error.\n";

static const char *warning_kind_name(gr_techdocs_warning_kind kind)
{
    switch (kind) {
    case GR_TECHDOCS_WARNING_CONTENT: return "warning";
    case GR_TECHDOCS_WARNING_UNSUPPORTED: return "unsupported";
    default: return "skipped";
    }
}

static void print_report(const char *src_dir, const gr_techdocs_report *report, int strict)
{
    for (size_t i = 0; i < report->warning_count; i++) {
        const gr_techdocs_warning *warning = &report->warnings[i];
        const char *kind = warning_kind_name(warning->kind);

        if (strict && warning->kind == GR_TECHDOCS_WARNING_CONTENT)
            kind = "error";
        if (warning->line > 0)
            fprintf(stderr, "%s/%s:%d: %s: %s\n", src_dir, warning->file, warning->line, kind,
                    warning->message);
        else if (warning->file[0] == '/')
            fprintf(stderr, "%s: %s: %s\n", warning->file, kind, warning->message);
        else
            fprintf(stderr, "%s/%s: %s: %s\n", src_dir, warning->file, kind, warning->message);
    }
}

/*
 * Returns the source folder that `arg` names: `arg` itself, or the folder of
 * an mkdocs.yml or mkdocs.yaml file that it names, as `mkdocs build -f` takes
 * the file. Caller frees.
 */
static char *source_folder(const char *arg)
{
    const char *slash = strrchr(arg, '/');
    const char *name = slash != NULL ? slash + 1 : arg;
    struct stat st;

    if (strcmp(name, "mkdocs.yml") != 0 && strcmp(name, "mkdocs.yaml") != 0)
        return gr_xstrdup(arg);
    if (stat(arg, &st) != 0 || !S_ISREG(st.st_mode))
        return gr_xstrdup(arg);
    if (slash == NULL)
        return gr_xstrdup(".");
    if (slash == arg)
        return gr_xstrdup("/");
    return gr_xstrndup(arg, (size_t)(slash - arg));
}

int gr_techdocs_build_main(int argc, char **argv)
{
    const char *src_dir = NULL;
    const char *out_dir = "site";
    char *folder;
    gr_techdocs_options options = {0};
    gr_techdocs_report report;
    int rc;

    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output-dir") == 0) && i + 1 < argc) {
            out_dir = argv[++i];
        } else if (strcmp(argv[i], "--strict") == 0) {
            options.strict = 1;
        } else if (argv[i][0] != '-' && src_dir == NULL) {
            src_dir = argv[i];
        } else {
            fprintf(stderr, "greenroom techdocs build: unexpected argument '%s'\n%s", argv[i],
                    gr_techdocs_build_usage);
            return 2;
        }
    }
    folder = source_folder(src_dir != NULL ? src_dir : ".");

    rc = gr_techdocs_build(folder, out_dir, &options, &report);
    print_report(folder, &report, options.strict);
    if (rc != GR_OK)
        fprintf(stderr, "greenroom techdocs build: %s\n", gr_error_last());
    else
        fprintf(stderr, "greenroom techdocs build: %zu %s and %zu %s written to %s\n",
                report.page_count, report.page_count == 1 ? "page" : "pages", report.file_count,
                report.file_count == 1 ? "file" : "files", out_dir);
    gr_techdocs_report_free(&report);
    free(folder);
    return rc == GR_OK ? 0 : 1;
}
