/* Which display a screen's window belongs on: by index, or by the name the
 * display server gives it (exact first, then ignoring case), and -1 when
 * it is not there (unplugged, or not yet plugged in), so the window waits
 * on the first display and moves when it appears. */
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

int main(void)
{
    RUN(by_index);
    RUN(by_name);
    return test_done();
}
