/*
 * Connector names for SDL's KMS/DRM displays. SDL 2 names no display under
 * kmsdrm; it makes one display per connected connector of the DRM card, in
 * the card's connector order (drmModeGetResources lists them by connector
 * id). The kernel shows the same connectors in sysfs as
 * /sys/class/drm/cardN-NAME/ with `status` and `connector_id`, so the
 * names a config uses (HDMI-A-1, DP-2, eDP-1: the kernel's, as `modetest`
 * and the Xorg modesetting driver show them) map to SDL's indices without
 * a second DRM client. Reads files only; any thread.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/render_internal.h"

struct conn {
    char name[RENDER_CONNECTOR_NAME];
    long id;
};

static int by_id(const void *a, const void *b)
{
    long x = ((const struct conn *)a)->id, y = ((const struct conn *)b)->id;
    return (x > y) - (x < y);
}

/* The first line of dir/entry/file into buf; 0, or -1. */
static int read_line(const char *dir, const char *entry, const char *file,
                     char *buf, size_t size)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s/%s", dir, entry, file);
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    char *got = fgets(buf, (int)size, f);
    fclose(f);
    if (!got) {
        return -1;
    }
    buf[strcspn(buf, "\r\n")] = 0;
    return 0;
}

int render_kms_connectors(const char *sysfs, int card,
                          char names[][RENDER_CONNECTOR_NAME], int max)
{
    DIR *d = opendir(sysfs);
    if (!d) {
        return -1;
    }
    char prefix[32];
    int plen = snprintf(prefix, sizeof(prefix), "card%d-", card);
    struct conn found[64];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 64) {
        char status[32], id[32];
        if (strncmp(de->d_name, prefix, (size_t)plen) ||
            read_line(sysfs, de->d_name, "status", status, sizeof(status)) ||
            strcmp(status, "connected") ||
            read_line(sysfs, de->d_name, "connector_id", id, sizeof(id))) {
            continue;
        }
        snprintf(found[n].name, sizeof(found[n].name), "%s",
                 de->d_name + plen);
        found[n].id = strtol(id, NULL, 10);
        n++;
    }
    closedir(d);
    qsort(found, (size_t)n, sizeof(found[0]), by_id);
    for (int i = 0; i < n && i < max; i++) {
        memcpy(names[i], found[i].name, sizeof(found[i].name));
    }
    return n < max ? n : max;
}
