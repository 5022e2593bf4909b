/*
 * The structural sections of the config: plans (their screens' entries,
 * tiles, carousels and pins), holiday calendars and the schedule. Their
 * keys are in option tables like every other section's (for unknown keys,
 * plain values, the reference and the diff); the values that are
 * structures are parsed here, resolving every camera, layout, plan and
 * calendar name to an index.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/ics.h"
#include "config/options.h"
#include "util/civil.h"
#include "util/mem.h"

/* ---- small parsers ---- */

static bool parse_hhmm(const char *s, int *min)
{
    int h, m;
    char tail;
    if (sscanf(s, "%d:%d%c", &h, &m, &tail) != 2 || h < 0 || h > 24 ||
        m < 0 || m > 59 || (h == 24 && m != 0) || strlen(s) != 5) {
        return false;
    }
    *min = h * 60 + m;
    return true;
}

static bool parse_date(const char *s, int32_t *ymd)
{
    int y, mo, d;
    char tail;
    static const int mdays[] = { 31, 29, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31 };
    if (strlen(s) != 10 || sscanf(s, "%d-%d-%d%c", &y, &mo, &d, &tail) != 3 ||
        y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
        d > mdays[mo - 1]) {
        return false;
    }
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap) {
        return false;
    }
    *ymd = y * 10000 + mo * 100 + d;
    return true;
}

static int find_plan(const struct config *c, const char *name)
{
    for (int i = 0; i < c->n_plans; i++) {
        if (!strcmp(c->plans[i].name, name)) {
            return i;
        }
    }
    return -1;
}

/* Cameras of a group, in config order. */
static int group_members(const struct config *c, const char *group,
                         int *out)
{
    int n = 0;
    for (int i = 0; i < c->n_cameras; i++) {
        for (int g = 0; g < c->cameras[i].n_groups; g++) {
            if (!strcmp(c->cameras[i].groups[g], group)) {
                out[n++] = i;
                break;
            }
        }
    }
    return n;
}

static int camera_ref(struct cfg_ctx *cx, struct fy_node *n)
{
    const char *id = yp_str(&cx->yp, n, "camera");
    if (!id) {
        return -1;
    }
    int i = config_find_camera(cx->c, id);
    if (i < 0) {
        ERR(cx, n, "unknown camera '%s'", id);
    }
    return i;
}

/* ---- tiles ---- */

static void parse_cycle(struct cfg_ctx *cx, struct fy_node *v, void *base)
{
    struct cfg_tile *t = base;
    if (!yp_is_seq(&cx->yp, v, "tile cycle")) {
        return;
    }
    t->cycle = xcalloc((size_t)fy_node_sequence_item_count(v) + 1,
                       sizeof(int));
    void *it = NULL;
    struct fy_node *cn;
    while ((cn = fy_node_sequence_iterate(v, &it))) {
        int cam = camera_ref(cx, cn);
        if (cam >= 0) {
            t->cycle[t->n_cycle++] = cam;
        }
    }
    if (!t->n_cycle) {
        ERR(cx, v, "tile cycle: no cameras");
    }
}

static void check_tile(struct cfg_ctx *cx, struct fy_node *map, void *base)
{
    if (!yp_get(map, "cycle")) {
        ERR(cx, map, "tile: 'cycle' is required in a carousel tile");
    }
}

#define TOFF(field) offsetof(struct cfg_tile, field)
static const struct opt tile_opts[] = {
    { "cycle", OPT_CUSTOM, .parse = parse_cycle,
      .type_doc = "list of camera ids", .def_doc = "required",
      .help = "A carousel: the tile steps through these cameras.",
      .example = "[river-1, river-2]" },
    { "dwell", OPT_FIELD(struct cfg_tile, dwell_ms, DURATION), .min = 100,
      .def_doc = "the page's dwell",
      .help = "How long each camera of the carousel shows.",
      .example = "5s" },
    { "skip_down", OPT_FIELD(struct cfg_tile, skip_down, BOOL), .def = "false",
      .help = "The carousel skips cameras that are down.",
      .example = "true" },
    { NULL },
};

const struct opt_table cfg_tile_table = {
    "tile", "tile ", "plans.NAME.screens.SCREEN[].tiles[]",
    "A tile of an explicit page: a camera id, `-` for a blank tile, or a "
    "carousel with these keys.",
    tile_opts, check_tile,
};

static void parse_tile(struct cfg_ctx *cx, struct fy_node *n,
                       struct cfg_tile *t)
{
    if (fy_node_get_type(n) == FYNT_SCALAR) {
        const char *s = fy_node_get_scalar0(n);
        if (fy_node_is_null(n) || !strcmp(s, "-") || !*s) {
            return; /* a deliberately blank tile */
        }
        int cam = camera_ref(cx, n);
        if (cam >= 0) {
            t->cycle = xmalloc(sizeof(int));
            t->cycle[0] = cam;
            t->n_cycle = 1;
        }
        return;
    }
    if (yp_is_map(&cx->yp, n, "tile")) {
        opt_parse(cx, n, &cfg_tile_table, t);
    }
}

/* ---- plan entries ---- */

static void parse_entry_layout(struct cfg_ctx *cx, struct fy_node *v,
                               void *base)
{
    struct cfg_entry *e = base;
    const char *ln = yp_str(&cx->yp, v, "layout");
    if (ln && (e->layout = config_find_layout(cx->c, ln)) < 0) {
        ERR(cx, v, "unknown layout '%s'", ln);
    }
}

static void parse_entry_tiles(struct cfg_ctx *cx, struct fy_node *tiles,
                              void *base)
{
    struct cfg_entry *e = base;
    const struct config *c = cx->c;
    const struct layout *l = e->layout >= 0 ? &c->layouts[e->layout] : NULL;
    if (!yp_is_seq(&cx->yp, tiles, "tiles")) {
        return;
    }
    int n = fy_node_sequence_item_count(tiles);
    if (l && n > l->n_cells) {
        ERR(cx, tiles, "tiles: %d tiles given but layout '%s' has %d", n,
            l->name, l->n_cells);
    }
    e->tiles = xcalloc((size_t)n + 1, sizeof(*e->tiles));
    void *it = NULL;
    struct fy_node *tn;
    while ((tn = fy_node_sequence_iterate(tiles, &it))) {
        parse_tile(cx, tn, &e->tiles[e->n_tiles++]);
    }
}

static void parse_entry_cameras(struct cfg_ctx *cx, struct fy_node *v,
                                void *base)
{
    struct cfg_entry *e = base;
    struct config *c = cx->c;
    e->paginate = true;
    e->cameras = xcalloc((size_t)c->n_cameras + 1, sizeof(int));
    if (fy_node_get_type(v) == FYNT_SCALAR) {
        const char *s = fy_node_get_scalar0(v);
        if (strncmp(s, "group:", 6) != 0) {
            ERR(cx, v, "cameras: expected 'group:NAME' or a list of cameras");
            return;
        }
        e->n_cameras = group_members(c, s + 6, e->cameras);
        if (!e->n_cameras) {
            ERR(cx, v, "cameras: group '%s' has no cameras", s + 6);
        }
        return;
    }
    if (!yp_is_seq(&cx->yp, v, "cameras")) {
        return;
    }
    void *it = NULL;
    struct fy_node *cn;
    while ((cn = fy_node_sequence_iterate(v, &it))) {
        int cam = camera_ref(cx, cn);
        if (cam >= 0 && e->n_cameras < c->n_cameras) {
            e->cameras[e->n_cameras++] = cam;
        }
    }
    if (!e->n_cameras) {
        ERR(cx, v, "cameras: the list is empty");
    }
}

static void parse_entry_pins(struct cfg_ctx *cx, struct fy_node *v,
                             void *base)
{
    struct cfg_entry *e = base;
    const struct layout *l = e->layout >= 0 ? &cx->c->layouts[e->layout]
                                            : NULL;
    if (!l || !yp_is_map(&cx->yp, v, "pin")) {
        return;
    }
    e->n_pins = l->n_cells;
    e->pins = xmalloc(sizeof(int) * (size_t)l->n_cells + 1);
    for (int i = 0; i < l->n_cells; i++) {
        e->pins[i] = -1;
    }
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(v, &it))) {
        int tile;
        struct fy_node *k = fy_node_pair_key(pr);
        if (!yp_int(&cx->yp, k, "pin tile", 0, l->n_cells - 1, &tile)) {
            continue;
        }
        int cam = camera_ref(cx, fy_node_pair_value(pr));
        if (cam >= 0) {
            e->pins[tile] = cam;
        }
    }
}

static void check_entry(struct cfg_ctx *cx, struct fy_node *en, void *base)
{
    struct cfg_entry *e = base;
    struct fy_node *tiles = yp_get(en, "tiles");
    struct fy_node *cams = yp_get(en, "cameras");
    struct fy_node *pin = yp_get(en, "pin");
    if (tiles && cams) {
        ERR(cx, cams, "plan entry: give either 'tiles' or 'cameras', "
                      "not both");
    } else if (!tiles && !cams) {
        ERR(cx, en, "plan entry: 'tiles' or 'cameras' is required");
    }
    if (!pin || e->layout < 0) {
        return;
    }
    if (!cams) {
        ERR(cx, pin, "pin: only an entry with 'cameras' has pages to pin "
                     "across");
    }
    int free_tiles = 0;
    for (int i = 0; i < e->n_pins; i++) {
        free_tiles += e->pins[i] < 0;
    }
    if (!free_tiles && e->n_cameras) {
        ERR(cx, pin, "pin: every tile is pinned; no room for the cameras");
    }
}

#define EOFF(field) offsetof(struct cfg_entry, field)
static const struct opt entry_opts[] = {
    { "layout", OPT_CUSTOM, .parse = parse_entry_layout,
      .type_doc = "layout name", .flags = OPT_REQUIRED,
      .help = "The page's layout: a shipped one or one of `layouts`.",
      .example = "3x3" },
    { "dwell", OPT_FIELD(struct cfg_entry, dwell_ms, DURATION), .min = 100,
      .def_doc = "the plan's dwell",
      .help = "How long each page of this entry shows.",
      .example = "30s" },
    { "tiles", OPT_CUSTOM, .parse = parse_entry_tiles,
      .sub = &cfg_tile_table, .type_doc = "list of tiles",
      .help = "One explicit page: a camera (or carousel, or `-`) per "
              "tile, in the layout's order.",
      .example = "[drone-1, gate-n, -, {cycle: [a, b]}]" },
    { "cameras", OPT_CUSTOM, .parse = parse_entry_cameras,
      .type_doc = "`group:NAME` or a list of camera ids",
      .help = "Cameras spread over as many pages of the layout as they "
              "need (give `tiles` or `cameras`).",
      .example = "group:perimeter" },
    { "pin", OPT_CUSTOM, .parse = parse_entry_pins,
      .type_doc = "mapping of tile to camera id",
      .help = "Tiles that show the same camera on every page of the "
              "entry.",
      .example = "{0: drone-1}" },
    { NULL },
};

const struct opt_table cfg_entry_table = {
    "plan entry", "", "plans.NAME.screens.SCREEN[]",
    "An entry of a plan's screen: one page (`tiles`) or as many pages as "
    "its cameras need (`cameras`), in the entry's layout.",
    entry_opts, check_entry,
};

/* ---- plans ---- */

static void parse_plan_screens(struct cfg_ctx *cx, struct fy_node *screens,
                               void *base)
{
    struct cfg_plan *plan = base;
    struct config *c = cx->c;
    if (!yp_is_map(&cx->yp, screens, "plan screens")) {
        return;
    }
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(screens, &it))) {
        struct fy_node *sk = fy_node_pair_key(pr), *sv = fy_node_pair_value(pr);
        const char *sid = yp_str(&cx->yp, sk, "screen");
        int si = sid ? config_find_screen(c, sid) : -1;
        if (sid && si < 0) {
            ERR(cx, sk, "plan '%s': unknown screen '%s'", plan->name, sid);
        }
        if (si < 0 || !yp_is_seq(&cx->yp, sv, "plan screen entries")) {
            continue;
        }
        int n = fy_node_sequence_item_count(sv);
        free(plan->entries[si]); /* a screen named twice: the last wins */
        plan->entries[si] = xcalloc((size_t)n + 1, sizeof(struct cfg_entry));
        plan->n_entries[si] = 0;
        void *it2 = NULL;
        struct fy_node *en;
        while ((en = fy_node_sequence_iterate(sv, &it2))) {
            struct cfg_entry *e = &plan->entries[si][plan->n_entries[si]++];
            e->layout = -1;
            opt_parse(cx, en, &cfg_entry_table, e);
        }
        if (!n) {
            ERR(cx, sv, "plan '%s': screen '%s' has no entries", plan->name,
                sid);
        }
    }
}

static void check_plan(struct cfg_ctx *cx, struct fy_node *pn, void *base)
{
    struct cfg_plan *plan = base;
    if (!yp_get(pn, "screens")) {
        ERR(cx, pn, "plan '%s': 'screens' is required", plan->name);
    }
}

#define POFF(field) offsetof(struct cfg_plan, field)
static const struct opt plan_opts[] = {
    { "dwell", OPT_FIELD(struct cfg_plan, dwell_ms, DURATION), .min = 100, .def = "10s",
      .help = "How long each page shows, unless its entry says otherwise.",
      .example = "15s" },
    { "screens", OPT_CUSTOM, .parse = parse_plan_screens,
      .sub = &cfg_entry_table, .type_doc = "mapping of screen id to entries",
      .def_doc = "required",
      .help = "For each screen, its entries in order; the pages follow one "
              "another and repeat. A screen without entries is blank.",
      .example = "{main: [{layout: 3x3, cameras: 'group:gates'}]}" },
    { NULL },
};

const struct opt_table cfg_plan_table = {
    "plan", "", "plans.NAME",
    "A patrol plan: what each screen shows, page after page. Pages are "
    "counted from the moment the plan took over, so a restart resumes on "
    "the page the wall would be showing.",
    plan_opts, check_plan,
};

void cfg_parse_plans(struct cfg_ctx *cx, struct fy_node *m, void *base)
{
    struct config *c = base;
    if (!yp_is_map(&cx->yp, m, "plans")) {
        return;
    }
    int n = fy_node_mapping_item_count(m);
    c->plans = xcalloc((size_t)n + 1, sizeof(*c->plans));
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(m, &it))) {
        struct cfg_plan *plan = &c->plans[c->n_plans++];
        const char *name = yp_str(&cx->yp, fy_node_pair_key(pr), "plan name");
        plan->name = xstrdup(name ? name : "?");
        plan->entries = xcalloc((size_t)c->n_screens + 1,
                                sizeof(*plan->entries));
        plan->n_entries = xcalloc((size_t)c->n_screens + 1, sizeof(int));
        opt_defaults(&cfg_plan_table, plan, cx->dir);
        opt_parse(cx, fy_node_pair_value(pr), &cfg_plan_table, plan);
    }
    if (!n) {
        ERR(cx, m, "plans: at least one plan is required");
    }
}

/* ---- calendars ---- */

/* A list of dates "YYYY-MM-DD" or ranges "YYYY-MM-DD..YYYY-MM-DD" into
 * day-number ranges [from[i], to[i]]. `to` may be NULL (single dates
 * only). */
static void parse_date_list(struct cfg_ctx *cx, struct fy_node *seq,
                            const char *what, int32_t **from, int32_t **to,
                            int *n)
{
    if (!yp_is_seq(&cx->yp, seq, what)) {
        return;
    }
    size_t cap = (size_t)fy_node_sequence_item_count(seq) + 1;
    *from = xcalloc(cap, sizeof(int32_t));
    if (to) {
        *to = xcalloc(cap, sizeof(int32_t));
    }
    void *it = NULL;
    struct fy_node *dn;
    while ((dn = fy_node_sequence_iterate(seq, &it))) {
        const char *s = yp_str(&cx->yp, dn, what);
        char a[16] = "", b[16] = "";
        int32_t da, db;
        if (!s) {
            continue;
        }
        const char *dots = strstr(s, "..");
        if (dots && to) {
            snprintf(a, sizeof(a), "%.*s", (int)(dots - s), s);
            snprintf(b, sizeof(b), "%s", dots + 2);
        } else {
            snprintf(a, sizeof(a), "%s", s);
            snprintf(b, sizeof(b), "%s", s);
        }
        if (strlen(s) > 22 || !parse_date(a, &da) || !parse_date(b, &db)) {
            ERR(cx, dn, "%s: '%s' is not a date YYYY-MM-DD%s", what, s,
                to ? " or a range A..B" : "");
            continue;
        }
        if (db < da) {
            ERR(cx, dn, "%s: '%s' ends before it starts", what, s);
            continue;
        }
        (*from)[*n] = civil_ymd_to_days(da);
        if (to) {
            (*to)[*n] = civil_ymd_to_days(db);
        }
        (*n)++;
    }
}

static void parse_cal_dates(struct cfg_ctx *cx, struct fy_node *v,
                            void *base)
{
    struct cfg_calendar *cal = base;
    parse_date_list(cx, v, "calendar dates", &cal->days, NULL, &cal->n_days);
}

static void parse_cal_ics(struct cfg_ctx *cx, struct fy_node *u, void *base)
{
    struct cfg_calendar *cal = base;
    const char *s = yp_str(&cx->yp, u, "calendar ics");
    if (!s) {
        return;
    }
    cal->ics_path = s[0] == '/' ? xstrdup(s) : xasprintf("%s/%s", cx->dir, s);
    if (access(cal->ics_path, R_OK) != 0) {
        ERR(cx, u, "calendar '%s': cannot read '%s': %s", cal->name, s,
            strerror(errno));
        return;
    }
    /* errors name the file as the config wrote it */
    char *shown = s[0] == '/' || !strcmp(cx->dir, ".")
                      ? xstrdup(s)
                      : xasprintf("%s/%s", cx->dir, s);
    ics_load(cal->ics_path, shown, cx->c->tz, cal, cx->yp.errs);
    free(shown);
}

static const struct opt calendar_opts[] = {
    { "dates", OPT_CUSTOM, .parse = parse_cal_dates,
      .type_doc = "list of dates YYYY-MM-DD",
      .help = "Days that count as holidays, beside the file's.",
      .example = "[2026-12-31]" },
    { "ics", OPT_CUSTOM, .parse = parse_cal_ics, .type_doc = "path",
      .help = "An iCalendar file (RFC 5545) of holidays: all-day events "
              "are days, timed events are spans, RRULEs are expanded; "
              "relative to the config's folder. Read at load and reload.",
      .example = "holidays-cn-2026.ics" },
    { NULL },
};

const struct opt_table cfg_calendar_table = {
    "calendar", "calendar ", "calendars.NAME",
    "A holiday calendar, for schedule rules with `when: {calendar: NAME}`.",
    calendar_opts, NULL,
};

void cfg_parse_calendars(struct cfg_ctx *cx, struct fy_node *m, void *base)
{
    struct config *c = base;
    if (!yp_is_map(&cx->yp, m, "calendars")) {
        return;
    }
    c->calendars = xcalloc((size_t)fy_node_mapping_item_count(m) + 1,
                           sizeof(*c->calendars));
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(m, &it))) {
        struct cfg_calendar *cal = &c->calendars[c->n_calendars++];
        const char *name = yp_str(&cx->yp, fy_node_pair_key(pr),
                                  "calendar name");
        cal->name = xstrdup(name ? name : "?");
        opt_parse(cx, fy_node_pair_value(pr), &cfg_calendar_table, cal);
        ics_days_finish(cal);
    }
}

/* ---- the schedule ---- */

static void parse_when_time(struct cfg_ctx *cx, struct fy_node *v,
                            void *base)
{
    struct cfg_when *w = base;
    const char *s = yp_str(&cx->yp, v, "when.time");
    char a[8], b[8];
    if (s && (strlen(s) != 11 || s[5] != '-' ||
              sscanf(s, "%5[0-9:]-%5[0-9:]", a, b) != 2 ||
              !parse_hhmm(a, &w->time_from_min) ||
              !parse_hhmm(b, &w->time_to_min))) {
        ERR(cx, v, "when.time: '%s' is not a window HH:MM-HH:MM", s);
    }
    w->has_time = true;
}

static void parse_when_weekdays(struct cfg_ctx *cx, struct fy_node *v,
                                void *base)
{
    static const char *const days[] = { "mon", "tue", "wed", "thu", "fri",
                                        "sat", "sun", NULL };
    struct cfg_when *w = base;
    if (!yp_is_seq(&cx->yp, v, "when.weekdays")) {
        return;
    }
    void *it = NULL;
    struct fy_node *dn;
    int d;
    while ((dn = fy_node_sequence_iterate(v, &it))) {
        if (yp_enum(&cx->yp, dn, "weekday", days, &d)) {
            w->weekdays |= 1u << d;
        }
    }
}

static void parse_when_dates(struct cfg_ctx *cx, struct fy_node *v,
                             void *base)
{
    struct cfg_when *w = base;
    parse_date_list(cx, v, "when.dates", &w->date_from, &w->date_to,
                    &w->n_date_ranges);
}

static void parse_when_calendar(struct cfg_ctx *cx, struct fy_node *v,
                                void *base)
{
    struct cfg_when *w = base;
    const char *s = yp_str(&cx->yp, v, "when.calendar");
    for (int i = 0; s && i < cx->c->n_calendars; i++) {
        if (!strcmp(cx->c->calendars[i].name, s)) {
            w->calendar = i;
        }
    }
    if (s && w->calendar < 0) {
        ERR(cx, v, "when.calendar: unknown calendar '%s'", s);
    }
}

static void parse_when_eve(struct cfg_ctx *cx, struct fy_node *v, void *base)
{
    struct cfg_when *w = base;
    const char *s = yp_str(&cx->yp, v, "when.from_eve");
    if (s && !parse_hhmm(s, &w->from_eve_min)) {
        ERR(cx, v, "when.from_eve: '%s' is not a time HH:MM", s);
    }
}

static void check_when(struct cfg_ctx *cx, struct fy_node *m, void *base)
{
    struct fy_node *v = yp_get(m, "from_eve");
    if (v && !yp_get(m, "calendar")) {
        ERR(cx, v, "when.from_eve: needs a 'calendar'");
    }
}

static const struct opt when_opts[] = {
    { "time", OPT_CUSTOM, .parse = parse_when_time,
      .type_doc = "window HH:MM-HH:MM",
      .help = "Local time in [from, to); a window that crosses midnight "
              "belongs to the day it starts on.",
      .example = "22:00-06:00" },
    { "weekdays", OPT_CUSTOM, .parse = parse_when_weekdays,
      .type_doc = "list of mon..sun", .help = "Days of the week.",
      .example = "[sat, sun]" },
    { "dates", OPT_CUSTOM, .parse = parse_when_dates,
      .type_doc = "list of dates or ranges A..B",
      .help = "Days of the year.", .example = "[2026-12-24..2026-12-26]" },
    { "calendar", OPT_CUSTOM, .parse = parse_when_calendar,
      .type_doc = "calendar name",
      .help = "The local day is a holiday of the calendar, or one of its "
              "timed events is on.",
      .example = "public-holidays" },
    { "from_eve", OPT_CUSTOM, .parse = parse_when_eve, .type_doc = "HH:MM",
      .help = "With `calendar`: from this time on the day before each run "
              "of holidays, uninterrupted to the run's end.",
      .example = "18:00" },
    { NULL },
};

const struct opt_table cfg_when_table = {
    "when", "when.", "schedule[].when",
    "A rule's condition: every key given must hold.", when_opts, check_when,
};

static void parse_rule_plan(struct cfg_ctx *cx, struct fy_node *v,
                            void *base)
{
    struct cfg_rule *r = base;
    const char *pn = yp_str(&cx->yp, v, "schedule plan");
    r->plan = pn ? find_plan(cx->c, pn) : -1;
    if (pn && r->plan < 0) {
        ERR(cx, v, "schedule: unknown plan '%s'", pn);
    }
}

static void parse_rule_when(struct cfg_ctx *cx, struct fy_node *v,
                            void *base)
{
    struct cfg_rule *r = base;
    r->has_when = true;
    opt_parse(cx, v, &cfg_when_table, &r->when);
}

static const struct opt rule_opts[] = {
    { "plan", OPT_CUSTOM, .parse = parse_rule_plan, .type_doc = "plan name",
      .flags = OPT_REQUIRED, .help = "The plan this rule runs.",
      .example = "night" },
    { "when", OPT_CUSTOM, .parse = parse_rule_when, .sub = &cfg_when_table,
      .type_doc = "mapping", .def_doc = "always",
      .help = "When it runs (see `schedule[].when`); a rule without one "
              "always matches.",
      .example = "{time: '22:00-06:00'}" },
    { NULL },
};

const struct opt_table cfg_rule_table = {
    "schedule rule", "schedule ", "schedule[]",
    "A schedule rule; the first that matches picks the plan.", rule_opts,
    NULL,
};

void cfg_parse_schedule(struct cfg_ctx *cx, struct fy_node *seq, void *base)
{
    struct config *c = base;
    if (!yp_is_seq(&cx->yp, seq, "schedule")) {
        return;
    }
    c->rules = xcalloc((size_t)fy_node_sequence_item_count(seq) + 1,
                       sizeof(*c->rules));
    void *it = NULL;
    struct fy_node *rn;
    while ((rn = fy_node_sequence_iterate(seq, &it))) {
        struct cfg_rule *r = &c->rules[c->n_rules++];
        r->plan = -1;
        r->when.calendar = -1;
        r->when.from_eve_min = -1;
        if (!opt_parse(cx, rn, &cfg_rule_table, r)) {
            c->n_rules--;
        }
    }
}

/* ---- diffs: each section live as a whole ---- */

static bool ints_eq(const int *a, const int *b, int n)
{
    return !n || !memcmp(a, b, sizeof(int) * (size_t)n);
}

static bool entry_eq(const struct config *x, const struct cfg_entry *a,
                     const struct config *y, const struct cfg_entry *b)
{
    if ((a->layout < 0) != (b->layout < 0) ||
        (a->layout >= 0 && strcmp(x->layouts[a->layout].name,
                                  y->layouts[b->layout].name)) ||
        a->dwell_ms != b->dwell_ms || a->paginate != b->paginate ||
        a->n_tiles != b->n_tiles || a->n_cameras != b->n_cameras ||
        a->n_pins != b->n_pins || !ints_eq(a->cameras, b->cameras,
                                           a->n_cameras) ||
        !ints_eq(a->pins, b->pins, a->n_pins)) {
        return false;
    }
    for (int t = 0; t < a->n_tiles; t++) {
        const struct cfg_tile *p = &a->tiles[t], *q = &b->tiles[t];
        if (p->n_cycle != q->n_cycle || p->dwell_ms != q->dwell_ms ||
            p->skip_down != q->skip_down ||
            !ints_eq(p->cycle, q->cycle, p->n_cycle)) {
            return false;
        }
    }
    return true;
}

void cfg_diff_plans(const struct opt *o, const char *path, const void *a,
                    const void *b, struct cfg_diff *d)
{
    const struct config *x = a, *y = b;
    bool same = x->n_plans == y->n_plans && x->n_screens == y->n_screens;
    for (int p = 0; same && p < x->n_plans; p++) {
        const struct cfg_plan *pa = &x->plans[p], *pb = &y->plans[p];
        same = !strcmp(pa->name, pb->name) && pa->dwell_ms == pb->dwell_ms;
        for (int s = 0; same && s < x->n_screens; s++) {
            same = pa->n_entries[s] == pb->n_entries[s];
            for (int e = 0; same && e < pa->n_entries[s]; e++) {
                same = entry_eq(x, &pa->entries[s][e], y, &pb->entries[s][e]);
            }
        }
    }
    if (!same) {
        opt_diff_add(d, path, false);
    }
}

void cfg_diff_calendars(const struct opt *o, const char *path,
                        const void *a, const void *b, struct cfg_diff *d)
{
    const struct config *x = a, *y = b;
    bool same = x->n_calendars == y->n_calendars;
    for (int i = 0; same && i < x->n_calendars; i++) {
        const struct cfg_calendar *p = &x->calendars[i], *q = &y->calendars[i];
        same = !strcmp(p->name, q->name) && p->n_days == q->n_days &&
               p->n_spans == q->n_spans &&
               (!p->n_days || !memcmp(p->days, q->days,
                                      sizeof(int32_t) * (size_t)p->n_days)) &&
               (!p->n_spans ||
                (!memcmp(p->span_from, q->span_from,
                         sizeof(int64_t) * (size_t)p->n_spans) &&
                 !memcmp(p->span_to, q->span_to,
                         sizeof(int64_t) * (size_t)p->n_spans)));
    }
    if (!same) {
        opt_diff_add(d, path, false);
    }
}

static bool when_eq(const struct config *x, const struct cfg_when *a,
                    const struct config *y, const struct cfg_when *b)
{
    int n = a->n_date_ranges;
    return a->has_time == b->has_time && a->time_from_min == b->time_from_min &&
           a->time_to_min == b->time_to_min && a->weekdays == b->weekdays &&
           n == b->n_date_ranges &&
           (!n || (!memcmp(a->date_from, b->date_from,
                           sizeof(int32_t) * (size_t)n) &&
                   !memcmp(a->date_to, b->date_to,
                           sizeof(int32_t) * (size_t)n))) &&
           (a->calendar < 0) == (b->calendar < 0) &&
           (a->calendar < 0 || !strcmp(x->calendars[a->calendar].name,
                                       y->calendars[b->calendar].name)) &&
           a->from_eve_min == b->from_eve_min;
}

void cfg_diff_schedule(const struct opt *o, const char *path, const void *a,
                       const void *b, struct cfg_diff *d)
{
    const struct config *x = a, *y = b;
    bool same = x->n_rules == y->n_rules;
    for (int i = 0; same && i < x->n_rules; i++) {
        const struct cfg_rule *p = &x->rules[i], *q = &y->rules[i];
        same = (p->plan < 0) == (q->plan < 0) &&
               (p->plan < 0 || !strcmp(x->plans[p->plan].name,
                                       y->plans[q->plan].name)) &&
               p->has_when == q->has_when && when_eq(x, &p->when, y, &q->when);
    }
    if (!same) {
        opt_diff_add(d, path, false);
    }
}

/* ---- freeing ---- */

void cfg_free_plans(struct config *c)
{
    for (int i = 0; i < c->n_plans; i++) {
        struct cfg_plan *p = &c->plans[i];
        for (int s = 0; s < c->n_screens; s++) {
            for (int e = 0; e < p->n_entries[s]; e++) {
                struct cfg_entry *en = &p->entries[s][e];
                for (int t = 0; t < en->n_tiles; t++) {
                    free(en->tiles[t].cycle);
                }
                free(en->tiles);
                free(en->cameras);
                free(en->pins);
            }
            free(p->entries[s]);
        }
        free(p->entries);
        free(p->n_entries);
        free(p->name);
    }
    free(c->plans);
    for (int i = 0; i < c->n_calendars; i++) {
        free(c->calendars[i].name);
        free(c->calendars[i].ics_path);
        free(c->calendars[i].days);
        free(c->calendars[i].span_from);
        free(c->calendars[i].span_to);
    }
    free(c->calendars);
    for (int i = 0; i < c->n_rules; i++) {
        free(c->rules[i].when.date_from);
        free(c->rules[i].when.date_to);
    }
    free(c->rules);
}
