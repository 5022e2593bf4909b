/*
 * Run-time lookup of the shipped data folders. The build tree is found
 * through a marker file beside the program rather than by compiling
 * source-tree paths into it, so an installed binary holds no path into
 * the tree it was built from (only the install's own datadir).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/datadir.h"
#include "util/mem.h"

#ifndef VIGIL_DATADIR
#define VIGIL_DATADIR "/usr/local/share/vigil"
#endif
#define MARKER "vigil-uninstalled.txt"

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The program's directory (malloc'd), or NULL. */
static char *exe_dir(void)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    if (n <= 0) {
        return NULL;
    }
    buf[n] = 0;
    char *slash = strrchr(buf, '/');
    if (!slash) {
        return NULL;
    }
    *slash = 0;
    return xstrdup(buf[0] ? buf : "/");
}

/* The build tree's marker: lines "what=/path". */
static char *from_marker(const char *dir, const char *what)
{
    char *path = xasprintf("%s/%s", dir, MARKER);
    FILE *f = fopen(path, "r");
    free(path);
    if (!f) {
        return NULL;
    }
    char line[PATH_MAX + 64];
    char *found = NULL;
    size_t wl = strlen(what);
    while (!found && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!strncmp(line, what, wl) && line[wl] == '=' && line[wl + 1]) {
            found = xstrdup(line + wl + 1);
        }
    }
    fclose(f);
    return found;
}

char *datadir_find(const char *what)
{
    const char *env = getenv("VIGIL_DATADIR");
    if (env && *env) {
        return xasprintf("%s/%s", env, what);
    }
    char *dir = exe_dir();
    char *p = NULL;
    if (dir && (p = from_marker(dir, what)) && !is_dir(p)) {
        free(p);
        p = NULL;
    }
    if (!p && dir) {
        p = xasprintf("%s/../share/vigil/%s", dir, what);
        if (!is_dir(p)) {
            free(p);
            p = NULL;
        }
    }
    free(dir);
    return p ? p : xasprintf("%s/%s", VIGIL_DATADIR, what);
}
