/* Helpers of the fuzz targets (fuzz.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "util/log.h"
#include "vigil/vigil.h"

static char dir[128];

static void remove_dir(void)
{
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
}

const char *fuzz_dir(void)
{
    if (!dir[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                                                           : "/tmp";
        snprintf(dir, sizeof(dir), "%s/vigil-fuzz-%d", base, (int)getpid());
        char cmd[160];
        snprintf(cmd, sizeof(cmd), "mkdir -p %s", dir);
        if (system(cmd) != 0) {
            abort();
        }
        atexit(remove_dir);
    }
    return dir;
}

const char *fuzz_write(const char *name, const void *data, size_t size)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), name);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size)) {
        abort();
    }
    fclose(f);
    return path;
}

static void drop(void *cookie, enum vigil_log_level level, const char *name,
                 const char *msg)
{
    (void)cookie;
    (void)level;
    (void)name;
    (void)msg;
}

void fuzz_quiet(void)
{
    static int done;
    if (!done) {
        vlog_setup(VIGIL_LOG_ERROR, drop, NULL);
        done = 1;
    }
}
