/* Which display a screen's window belongs on: by index, or by the name the
 * display server gives it (exact first, then ignoring case), and -1 when
 * it is not there (unplugged, or not yet plugged in), so the window waits
 * hidden and shows when it appears. Under kmsdrm, where SDL names no
 * display, the names are the kernel's connector names from sysfs, in
 * connector-id order (SDL's display order); here from a made-up sysfs. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "render/render_internal.h"
#include "test.h"

static void by_index(void)
{
    const char *names[] = { "HDMI-1", "DP-2" };
    CHECK_INT(render_display_match(names, 2, 0, NULL), 0);
    CHECK_INT(render_display_match(names, 2, 1, NULL), 1);
    CHECK_INT(render_display_match(names, 2, 2, NULL), -1);
    CHECK_INT(render_display_match(names, 0, 0, NULL), -1);
}

static void by_name(void)
{
    const char *names[] = { "DP-2", NULL, "HDMI-1", "hdmi-1" };
    CHECK_INT(render_display_match(names, 4, -1, "HDMI-1"), 2);
    CHECK_INT(render_display_match(names, 4, -1, "hdmi-1"), 3);
    CHECK_INT(render_display_match(names, 4, -1, "dp-2"), 0);
    CHECK_INT(render_display_match(names, 4, -1, "HDMI-2"), -1);
    /* unplugged: the list no longer has it; plugged back: found again */
    const char *after[] = { "DP-2" };
    CHECK_INT(render_display_match(after, 1, -1, "HDMI-1"), -1);
    const char *back[] = { "HDMI-1", "DP-2" };
    CHECK_INT(render_display_match(back, 2, -1, "HDMI-1"), 0);
}

/* A sysfs tree as the kernel shows DRM connectors. */
static void put(const char *root, const char *conn, const char *status,
                const char *id)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", root, conn);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/%s/status", root, conn);
    FILE *f = fopen(path, "w");
    fprintf(f, "%s\n", status);
    fclose(f);
    if (id) {
        snprintf(path, sizeof(path), "%s/%s/connector_id", root, conn);
        f = fopen(path, "w");
        fprintf(f, "%s\n", id);
        fclose(f);
    }
}

static void kms_connectors(void)
{
    char root[] = "/tmp/vigil-drm-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    put(root, "card0-HDMI-A-1", "connected", "95");
    put(root, "card0-DP-1", "disconnected", "90");
    put(root, "card0-eDP-1", "connected", "77");
    put(root, "card0-DP-2", "connected", "101");
    put(root, "card0-Writeback-1", "unknown", "110");
    put(root, "card1-HDMI-A-2", "connected", "40");
    put(root, "card0-VGA-1", "connected", NULL); /* an old kernel: no id */
    char names[8][RENDER_CONNECTOR_NAME];
    int n = render_kms_connectors(root, 0, names, 8);
    CHECK_INT(n, 3); /* connected ones with an id, by id */
    CHECK_STR(names[0], "eDP-1");
    CHECK_STR(names[1], "HDMI-A-1");
    CHECK_STR(names[2], "DP-2");
    const char *list[] = { names[0], names[1], names[2] };
    CHECK_INT(render_display_match(list, 3, -1, "HDMI-A-1"), 1);
    CHECK_INT(render_kms_connectors(root, 1, names, 8), 1);
    CHECK_STR(names[0], "HDMI-A-2");
    CHECK_INT(render_kms_connectors(root, 2, names, 8), 0);
    CHECK_INT(render_kms_connectors("/nonexistent/drm", 0, names, 8), -1);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    CHECK_INT(system(cmd), 0);
}

int main(void)
{
    RUN(by_index);
    RUN(by_name);
    RUN(kms_connectors);
    return test_done();
}
