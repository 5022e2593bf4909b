#include <stdio.h>
#include <string.h>

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
