/*
 * vigil: the command-line front end.
 *
 *   vigil [CONFIG] [--headless] [--listen HOST:PORT] [-v|-q]
 *   vigil --check CONFIG
 *   vigil --config-reference [man]
 *   vigil --version
 *
 * Without CONFIG it runs the built-in demo wall. Without a display
 * (neither DISPLAY nor WAYLAND_DISPLAY set, and wall.video_driver not
 * kmsdrm) it runs headless.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"
#include "vigil/vigil.h"

/* --check prints each problem as a bare "file:line:column: message" line,
 * the form editors and CI annotators pick up. */
static void check_log(void *cookie, enum vigil_log_level level,
                      const char *name, const char *msg)
{
    (void)cookie;
    if (!strcmp(name, "config")) {
        fprintf(stderr, "%s\n", msg);
    } else if (level <= VIGIL_LOG_WARN) {
        fprintf(stderr, "[%s] %s\n", name, msg);
    }
}

static void usage(FILE *f)
{
    fputs("usage: vigil [CONFIG] [--headless] [--listen HOST:PORT] [-v|-q]\n"
          "       vigil --check CONFIG\n"
          "       vigil --config-reference [man]\n"
          "       vigil --version\n"
          "       vigil plan CONFIG --at 'YYYY-MM-DD HH:MM'\n"
          "       vigil plan CONFIG --from 'YYYY-MM-DD HH:MM' --to '...'\n"
          "       vigil ctl [--url URL] [--token-file F] COMMAND ...\n"
          "\n"
          "  CONFIG            wall configuration (YAML); none: the demo wall\n"
          "  --check CONFIG    validate CONFIG, print every error, exit 1 if "
          "any\n"
          "  --config-reference  every config key: type, default, meaning\n"
          "                    (Markdown; man: the vigil.yaml(5) page)\n"
          "  --version         Vigil's and its libraries' versions\n"
          "  --headless        render off-screen; see /api/snapshot.png\n"
          "  --listen H:P      override control.listen\n"
          "  plan ... --at T   what plays at local time T, and the next change\n"
          "  plan ... --from A --to B   every plan change between A and B\n"
          "  -v, -vv / -q      more / less logging\n",
          f);
}

static int plan_main(int argc, char **argv, struct vigil_settings *s)
{
    const char *cfg = NULL, *at = NULL, *from = NULL, *to = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--at") && i + 1 < argc) {
            at = argv[++i];
        } else if (!strcmp(argv[i], "--from") && i + 1 < argc) {
            from = argv[++i];
        } else if (!strcmp(argv[i], "--to") && i + 1 < argc) {
            to = argv[++i];
        } else if (argv[i][0] != '-' && !cfg) {
            cfg = argv[i];
        } else {
            cfg = NULL;
            break;
        }
    }
    if (!cfg || (!at && !(from && to))) {
        usage(stderr);
        return 2;
    }
    s->log_cb = check_log;
    return vigil_plan_print(cfg, at, from, to, stdout, s) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct vigil_settings s;
    vigil_settings_default(&s);
    const char *check = NULL;
    if (argc > 1 && !strcmp(argv[1], "plan")) {
        return plan_main(argc, argv, &s);
    }
    if (argc > 1 && !strcmp(argv[1], "ctl")) {
        return cli_ctl_main(argc - 1, argv + 1);
    }
    if (argc == 2 && !strcmp(argv[1], "--config-reference")) {
        return vigil_config_reference(stdout) == 0 ? 0 : 1;
    }
    if (argc == 3 && !strcmp(argv[1], "--config-reference") &&
        !strcmp(argv[2], "man")) {
        return vigil_config_manpage(stdout) == 0 ? 0 : 1;
    }
    if (argc == 2 && !strcmp(argv[1], "--version")) {
        return vigil_version_print(stdout) == 0 ? 0 : 1;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--check") && i + 1 < argc) {
            check = argv[++i];
        } else if (!strcmp(a, "--headless")) {
            s.headless = 1;
        } else if (!strcmp(a, "--listen") && i + 1 < argc) {
            s.listen = argv[++i];
        } else if (!strcmp(a, "-v")) {
            s.log_level = VIGIL_LOG_DEBUG;
        } else if (!strcmp(a, "-vv")) {
            s.log_level = VIGIL_LOG_TRACE;
        } else if (!strcmp(a, "-q")) {
            s.log_level = VIGIL_LOG_WARN;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (a[0] != '-' && !s.config_path) {
            s.config_path = a;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (check) {
        s.log_cb = check_log;
        int ret = vigil_config_check(check, &s);
        if (ret == 0) {
            printf("%s: OK\n", check);
        }
        return ret == 0 ? 0 : 1;
    }
    struct vigil_engine *e;
    int ret = vigil_engine_create(&e, &s);
    if (ret < 0) {
        fprintf(stderr, "vigil: %s\n", vigil_strerror(ret));
        return 1;
    }
    ret = vigil_engine_run(e);
    vigil_engine_destroy(&e);
    if (ret < 0) {
        fprintf(stderr, "vigil: %s\n", vigil_strerror(ret));
        return 1;
    }
    return 0;
}
