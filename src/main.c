/* SPDX-License-Identifier: MIT */
/* The greenroom command line: dispatches to host and plugin commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/common/alloc.h"
#include "host/registry/registry.h"

static const char main_usage[] =
    "usage: greenroom <command> [options]\n"
    "\n"
    "greenroom is an internal developer portal that speaks Backstage's formats and APIs.\n"
    "\n"
    "Options:\n"
    "  --version        print the version and exit\n"
    "  --help           print this help and exit\n"
    "\n"
    "Commands:\n";

static void main_print_commands(FILE *out)
{
    fputs(main_usage, out);
    fputs("  help [COMMAND]   print help for a command\n", out);
    for (const gr_cli_command *const *command = gr_host_commands(); *command != NULL; command++)
        fprintf(out, "  %-16s %s\n", (*command)->name, (*command)->summary);
    for (const gr_plugin_def *const *entry = gr_builtin_plugins(); *entry != NULL; entry++) {
        const gr_plugin_def *plugin = *entry;

        if (plugin->commands == NULL)
            continue;
        for (const gr_cli_command *command = plugin->commands; command->name != NULL; command++)
            fprintf(out, "  %-16s %s\n", command->name, command->summary);
    }
}

/* `greenroom help catalog validate` runs `greenroom catalog validate --help`,
 * since each command prints the help of its own subcommands. */
static int main_subcommand_help(const gr_cli_command *command, int argc, char **argv)
{
    char **args = gr_xcalloc((size_t)argc + 2, sizeof(char *));
    int status;

    for (int i = 0; i < argc; i++)
        args[i] = argv[i];
    args[argc] = "--help";
    status = command->run(argc + 1, args);
    free(args);
    return status;
}

static int main_help(int argc, char **argv)
{
    const gr_cli_command *command;

    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        main_print_commands(stdout);
        return 0;
    }
    command = gr_registry_find_command(argv[1]);
    if (command == NULL) {
        fprintf(stderr, "greenroom: unknown command '%s'; run 'greenroom help' for the list\n",
                argv[1]);
        return 2;
    }
    if (argc >= 3)
        return main_subcommand_help(command, argc - 1, argv + 1);
    fputs(command->usage, stdout);
    return 0;
}

int main(int argc, char **argv)
{
    const gr_cli_command *command;

    if (argc < 2) {
        main_print_commands(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("greenroom %s\n", GR_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return main_help(1, argv);
    if (strcmp(argv[1], "help") == 0)
        return main_help(argc - 1, argv + 1);

    command = gr_registry_find_command(argv[1]);
    if (command == NULL) {
        fprintf(stderr, "greenroom: unknown command '%s'; run 'greenroom help' for the list\n",
                argv[1]);
        return 2;
    }
    if (argc >= 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
        fputs(command->usage, stdout);
        return 0;
    }
    return command->run(argc - 1, argv + 1);
}
