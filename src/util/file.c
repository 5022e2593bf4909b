#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/file.h"
#include "util/mem.h"

char *file_first_line(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[256];
    if (!f) {
        return NULL;
    }
    char *got = fgets(line, sizeof(line), f);
    fclose(f);
    if (!got) {
        return NULL;
    }
    line[strcspn(line, "\r\n")] = 0;
    return xstrdup(line);
}

const char *file_exposed(const char *path, char *buf, size_t size)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        return NULL;
    }
    unsigned mode = st.st_mode & 0777;
    if (mode & 0004) {
        snprintf(buf, size, "mode %04o: readable by every user", mode);
        return buf;
    }
    if ((mode & 0040) && st.st_gid != getegid()) {
        snprintf(buf, size, "mode %04o: readable by group %u", mode,
                 (unsigned)st.st_gid);
        return buf;
    }
    return NULL;
}
