/* Config parsing: the example config, and every error path with its
 * file:line:column. Configs are given inline; the shipped layouts are read
 * from the source tree (LAYOUTS_DIR). */
#include <stdlib.h>

#include "config/config.h"
#include "util/civil.h"
#include "test.h"

#define BASE_WALL                                                            \
    "wall:\n"                                                                \
    "  name: t\n"                                                            \
    "  screens:\n"                                                           \
    "    - {id: main, size: 1280x720}\n"
#define BASE_CAMS                                                            \
    "cameras:\n"                                                             \
    "  - {id: a, url: 'rtsp://h/a', groups: [g]}\n"                          \
    "  - {id: b, url: 'rtsp://h/b', groups: [g]}\n"                          \
    "  - {id: c, url: 'rtsp://h/c', groups: [g, h]}\n"
#define BASE_PLANS                                                           \
    "plans:\n"                                                               \
    "  day:\n"                                                               \
    "    screens:\n"                                                         \
    "      main:\n"                                                          \
    "        - {layout: 2x2, cameras: 'group:g'}\n"

/* Load text; return the errors joined by newlines (static buffer). */
static const char *errors_of(const char *text)
{
    static char buf[4096];
    struct cfg_errors errs = { 0 };
    struct config *c = config_load("t.yaml", text, LAYOUTS_DIR, &errs);
    buf[0] = 0;
    for (size_t i = 0; i < errs.n; i++) {
        strncat(buf, errs.msgs[i], sizeof(buf) - strlen(buf) - 2);
        strcat(buf, "\n");
    }
    if (c && errs.n) {
        strcat(buf, "BUG: config returned despite errors\n");
    }
    if (!c && !errs.n) {
        strcat(buf, "BUG: no config and no error\n");
    }
    config_unref(c);
    cfg_errors_finish(&errs);
    return buf;
}

#define CHECK_ERR(text, expect)                                              \
    do {                                                                     \
        const char *got_ = errors_of(text);                                  \
        test_checks++;                                                       \
        if (!strstr(got_, expect)) {                                         \
            fprintf(stderr, "%s:%d: expected error \"%s\", got:\n%s",       \
                    __FILE__, __LINE__, expect, got_);                       \
            test_failures++;                                                 \
        }                                                                    \
    } while (0)

static void example_config(void)
{
    struct cfg_errors errs = { 0 };
    struct config *c = config_load(EXAMPLES_DIR "/wall.yaml", NULL,
                                   LAYOUTS_DIR, &errs);
    for (size_t i = 0; i < errs.n; i++) {
        fprintf(stderr, "  %s\n", errs.msgs[i]);
    }
    CHECK(c != NULL);
    if (!c) {
        cfg_errors_finish(&errs);
        return;
    }
    CHECK_STR(c->wall_name, "tinglin-ops");
    CHECK_STR(c->timezone, "Asia/Shanghai");
    CHECK_INT(c->n_screens, 2);
    CHECK_INT(c->screens[1].width, 1920);
    CHECK_INT(c->n_cameras, 7);
    int gate = config_find_camera(c, "gate-n");
    CHECK(gate >= 0);
    CHECK_STR(c->cameras[gate].sub,
              "rtsp://admin:secret@10.20.1.11:554/Streaming/Channels/102");
    CHECK_INT(c->cameras[config_find_camera(c, "market-1")].transport,
              CFG_TRANSPORT_UDP);
    CHECK_INT(c->stall_after_ms, 1000);
    CHECK_INT(c->clear_after_ms, 2000);
    CHECK_STR(c->listen_host, "127.0.0.1");
    CHECK_INT(c->listen_port, 8080);
    CHECK_INT(c->n_plans, 3);
    CHECK_STR(c->plans[2].name, "holiday-24h");
    /* night plan: side screen carousel of river-1, river-2 every 5 s */
    const struct cfg_entry *e = &c->plans[1].entries[1][0];
    CHECK_INT(e->n_tiles, 1);
    CHECK_INT(e->tiles[0].n_cycle, 2);
    CHECK_INT(e->tiles[0].dwell_ms, 5000);
    /* night plan: drone-1 pinned in tile 0 */
    e = &c->plans[1].entries[0][0];
    CHECK(e->paginate);
    CHECK_INT(e->pins[0], config_find_camera(c, "drone-1"));
    CHECK_INT(c->n_rules, 3);
    CHECK_INT(c->rules[0].when.from_eve_min, 18 * 60);
    CHECK_INT(c->rules[1].when.time_from_min, 22 * 60);
    CHECK_INT(c->rules[1].when.time_to_min, 6 * 60);
    CHECK_INT(config_default_plan(c), 0); /* day */
    CHECK(config_find_layout(c, "big-left") >= 0);
    CHECK(config_find_layout(c, "1+12") >= 0);
    /* 7 holidays of 3, 9, 3, 5, 3, 3, 7 days plus 2026-12-31 inline */
    CHECK_INT(c->calendars[0].n_days, 3 + 9 + 3 + 5 + 3 + 3 + 7 + 1);
    CHECK_INT(civil_days_to_ymd(c->calendars[0].days[0]), 20260101);
    CHECK_INT(civil_days_to_ymd(c->calendars[0].days[2]), 20260103);
    CHECK_INT(civil_days_to_ymd(c->calendars[0].days[3]), 20260215);
    CHECK_INT(civil_days_to_ymd(
                  c->calendars[0].days[c->calendars[0].n_days - 1]),
              20261231);
    config_unref(c);
    cfg_errors_finish(&errs);
}

static void minimal_ok(void)
{
    CHECK_STR(errors_of(BASE_WALL BASE_CAMS BASE_PLANS), "");
}

static void syntax_error(void)
{
    CHECK_ERR("wall:\n  name: [unclosed\n", "t.yaml:");
    CHECK_ERR("wall:\n  name: [unclosed\n", "YAML syntax");
}

static void unknown_keys(void)
{
    CHECK_ERR(BASE_WALL BASE_CAMS BASE_PLANS "colour: blue\n",
              "t.yaml:14:1: config: unknown key 'colour'");
    CHECK_ERR("wall:\n  name: t\n  screns: []\n" BASE_CAMS BASE_PLANS,
              "t.yaml:3:3: wall: unknown key 'screns'");
    CHECK_ERR(BASE_WALL "cameras:\n  - {id: a, url: x, pasword: y}\n"
                        BASE_PLANS,
              "t.yaml:6:21: camera: unknown key 'pasword'");
}

static void bad_values(void)
{
    CHECK_ERR("wall:\n  screens:\n    - {id: m, size: 1280x}\n" BASE_CAMS
                  BASE_PLANS,
              "t.yaml:3:21: screen size: '1280x' is not a size");
    CHECK_ERR("wall:\n  fit: zoom\n  screens: [{id: m}]\n" BASE_CAMS
                  BASE_PLANS,
              "t.yaml:2:8: wall.fit: 'zoom' must be one of letterbox | fill "
              "| stretch");
    CHECK_ERR("wall:\n  timezone: Mars/Olympus\n  screens: [{id: m}]\n"
                  BASE_CAMS BASE_PLANS,
              "unknown time zone 'Mars/Olympus'");
    CHECK_ERR(BASE_WALL "alerts:\n  stall_after: soon\n" BASE_CAMS
                        BASE_PLANS,
              "t.yaml:6:16: alerts.stall_after: 'soon' is not a duration");
    CHECK_ERR(BASE_WALL "control:\n  listen: localhost\n" BASE_CAMS
                        BASE_PLANS,
              "t.yaml:6:11: control.listen: 'localhost' is not HOST:PORT");
    CHECK_ERR(BASE_WALL "cameras:\n  - {id: a, url: x, transport: quic}\n"
                        BASE_PLANS,
              "camera transport: 'quic' must be one of tcp | udp | auto");
    CHECK_ERR(BASE_WALL
              "cameras:\n  - {id: a, url: x, connect_timeout: 100ms}\n"
              BASE_PLANS,
              "t.yaml:6:38: camera connect_timeout: must be between 500ms "
              "and 2m");
    CHECK_ERR(BASE_WALL "defaults: {connect_timeout: 3h}\n" BASE_CAMS
                        BASE_PLANS,
              "t.yaml:5:29: defaults.connect_timeout: must be between 500ms "
              "and 2m");
}

static void references(void)
{
    CHECK_ERR(BASE_WALL BASE_CAMS
              "plans:\n  day:\n    screens:\n      main:\n"
              "        - {layout: 2x2, tiles: [a, zz]}\n",
              "t.yaml:13:36: unknown camera 'zz'");
    CHECK_ERR(BASE_WALL BASE_CAMS
              "plans:\n  day:\n    screens:\n      main:\n"
              "        - {layout: 7x7, tiles: [a]}\n",
              "t.yaml:13:20: unknown layout '7x7'");
    CHECK_ERR(BASE_WALL BASE_CAMS
              "plans:\n  day:\n    screens:\n      side:\n"
              "        - {layout: 2x2, tiles: [a]}\n",
              "t.yaml:12:7: plan 'day': unknown screen 'side'");
    CHECK_ERR(BASE_WALL BASE_CAMS
              "plans:\n  day:\n    screens:\n      main:\n"
              "        - {layout: 2x2, cameras: 'group:nope'}\n",
              "cameras: group 'nope' has no cameras");
    CHECK_ERR(BASE_WALL BASE_CAMS
              "plans:\n  day:\n    screens:\n      main:\n"
              "        - {layout: 1x1, tiles: [a, b]}\n",
              "tiles: 2 tiles given but layout '1x1' has 1");
    CHECK_ERR(BASE_WALL BASE_CAMS BASE_PLANS
              "schedule:\n  - plan: evening\n",
              "t.yaml:15:11: schedule: unknown plan 'evening'");
    CHECK_ERR(BASE_WALL BASE_CAMS BASE_PLANS
              "schedule:\n  - plan: day\n    when: {time: '22:00-6:00'}\n",
              "when.time: '22:00-6:00' is not a window HH:MM-HH:MM");
    CHECK_ERR(BASE_WALL BASE_CAMS BASE_PLANS
              "schedule:\n  - plan: day\n    when: {calendar: x}\n",
              "when.calendar: unknown calendar 'x'");
}

static void duplicates_and_required(void)
{
    CHECK_ERR(BASE_WALL
              "cameras:\n  - {id: a, url: x}\n  - {id: a, url: y}\n"
              BASE_PLANS,
              "t.yaml:7:10: camera 'a' is defined twice");
    CHECK_ERR(BASE_WALL "cameras:\n  - {id: a}\n" BASE_PLANS,
              "t.yaml:6:6: camera 'a': 'url' is required");
    CHECK_ERR(BASE_WALL BASE_CAMS, "'plans' section is required");
    CHECK_ERR(BASE_CAMS BASE_PLANS, "'wall' section is required");
    CHECK_ERR("", "the file is empty");
}

static void inline_layouts(void)
{
    CHECK_STR(errors_of(BASE_WALL BASE_CAMS
                        "layouts:\n  - name: wide\n    grid: 4x1\n"
                        "    cells: [[0, 0, 3, 1], [3, 0, 1, 1]]\n"
                        "plans:\n  day:\n    screens:\n      main:\n"
                        "        - {layout: wide, tiles: [a, b]}\n"),
              "");
    CHECK_ERR(BASE_WALL BASE_CAMS
              "layouts:\n  - name: bad\n    grid: 2x2\n"
              "    cells: [[0, 0, 2, 2], [1, 1, 1, 1]]\n" BASE_PLANS,
              "t.yaml:12:28: layout 'bad': tile 1 overlaps tile 0");
    CHECK_ERR(BASE_WALL BASE_CAMS
              "layouts:\n  - name: bad\n    grid: 2x2\n"
              "    cells: [[0, 0, 3, 1]]\n" BASE_PLANS,
              "layout 'bad': tile 0: [0, 0, 3, 1] lies outside the 2x2 grid");
}

static void every_error_reported(void)
{
    /* Three independent mistakes: all three are reported in one pass. */
    const char *got = errors_of("wall:\n  fit: zoom\n  screens: [{id: m}]\n"
                                "cameras:\n  - {id: a, url: x, foo: 1}\n"
                                "plans:\n  p:\n    screens:\n      m:\n"
                                "        - {layout: 9x9, tiles: [a]}\n");
    CHECK(strstr(got, "wall.fit") != NULL);
    CHECK(strstr(got, "unknown key 'foo'") != NULL);
    CHECK(strstr(got, "unknown layout '9x9'") != NULL);
}

int main(void)
{
    RUN(example_config);
    RUN(minimal_ok);
    RUN(syntax_error);
    RUN(unknown_keys);
    RUN(bad_values);
    RUN(references);
    RUN(duplicates_and_required);
    RUN(inline_layouts);
    RUN(every_error_reported);
    return test_done();
}
