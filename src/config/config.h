/*
 * Wall configuration: parsed from YAML (libfyaml), validated as a whole,
 * then frozen into an immutable, refcounted snapshot. Threads hold a
 * reference to a snapshot, never pointers into mutable state.
 *
 * Camera, layout and plan references are resolved to indices at load time,
 * so consumers never look names up. Every error is reported as
 * "file:line:column: message" and a config with any error is rejected
 * whole.
 */
#ifndef VIGIL_CONFIG_H
#define VIGIL_CONFIG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "layout/layout.h"

struct vtz;

enum cfg_transport { CFG_TRANSPORT_TCP, CFG_TRANSPORT_UDP,
                     CFG_TRANSPORT_AUTO };
enum cfg_hwaccel { CFG_HWACCEL_AUTO, CFG_HWACCEL_NONE, CFG_HWACCEL_VAAPI,
                   CFG_HWACCEL_CUDA };
enum cfg_scaler { CFG_SCALER_BILINEAR, CFG_SCALER_NEAREST };

struct cfg_screen {
    char *id;
    int width, height;
    char *display;          /* as written: an index or a display's name */
    int display_index;      /* the index; -1: matched by name */
    bool fullscreen;
};

/* wall.video_driver: which SDL video driver opens the windows */
enum cfg_video_driver {
    CFG_VIDEO_AUTO,         /* SDL's choice among what the session has */
    CFG_VIDEO_X11,
    CFG_VIDEO_WAYLAND,
    CFG_VIDEO_KMSDRM,       /* the console, no desktop */
};

/* wall.renderer: who composes */
enum cfg_renderer {
    CFG_RENDER_AUTO,        /* a hardware GPU if there is one, else software */
    CFG_RENDER_SOFTWARE,    /* the software canvas */
    CFG_RENDER_GPU,         /* an OpenGL renderer, even a software one */
};

/* wall.cursor */
enum cfg_cursor {
    CFG_CURSOR_AUTO,        /* shown while the mouse moves, then hidden */
    CFG_CURSOR_HIDDEN,
    CFG_CURSOR_SHOWN,
};

struct cfg_camera {
    char *id;
    char *name;
    char *url;          /* may hold credentials: log only via url_redact */
    char *sub;          /* substream URL or NULL */
    enum cfg_transport transport;
    enum cfg_hwaccel hwaccel;
    int64_t connect_timeout_ms; /* open to first packet; then it is down */
    char **groups;
    int n_groups;
};

/* What one tile of an entry shows: a camera, a carousel, or nothing. */
struct cfg_tile {
    int n_cycle;        /* 0: blank tile; 1: one camera; >1: carousel */
    int *cycle;         /* camera indices */
    int64_t dwell_ms;   /* carousel beat; 0 = the page's dwell */
    bool skip_down;     /* carousel skips cameras that are down */
};

/* One entry of a plan's screen: an explicit page, or a group paginated
 * over as many pages as it needs. */
struct cfg_entry {
    int layout;             /* index into config.layouts */
    int64_t dwell_ms;       /* 0: the plan's */
    bool paginate;          /* true: `cameras:` (group or list) */
    struct cfg_tile *tiles; /* !paginate: explicit tiles (n_tiles) */
    int n_tiles;
    int *cameras;           /* paginate: cameras to spread over pages */
    int n_cameras;
    int *pins;              /* per layout tile: camera index or -1 */
    int n_pins;             /* == layout's tile count when present */
};

struct cfg_plan {
    char *name;
    int64_t dwell_ms;
    /* entries[screen] is that screen's ordered entry list */
    struct cfg_entry **entries;
    int *n_entries;
};

/* A schedule rule's condition, evaluated by src/sched. Days are day
 * numbers (days since 1970-01-01, see util/civil.h) in the wall's zone. */
struct cfg_when {
    bool has_time;
    int time_from_min, time_to_min;     /* minutes after midnight */
    unsigned weekdays;                  /* bit 0 = Monday; 0 = any */
    int n_date_ranges;
    int32_t *date_from, *date_to;       /* inclusive */
    int calendar;                       /* index or -1 */
    int from_eve_min;                   /* -1: none */
};

struct cfg_rule {
    int plan;
    bool has_when;
    struct cfg_when when;
};

/* A holiday calendar: whole days (all-day events and inline dates,
 * sorted, unique) and timed spans (UTC ms, [from, to)). */
struct cfg_calendar {
    char *name;
    char *ics_path;         /* resolved against the config's folder */
    int n_days;
    int32_t *days;
    int n_spans;
    int64_t *span_from, *span_to;
};

struct config {
    atomic_int refs;
    char *path;

    char *wall_name;
    char *timezone;
    struct vtz *tz;             /* loaded zone; UTC when not configured */
    enum layout_fit fit;
    bool labels;
    int video_driver;           /* enum cfg_video_driver */
    int renderer;               /* enum cfg_renderer */
    int cursor;                 /* enum cfg_cursor */
    struct cfg_screen *screens;
    int n_screens;

    char *listen_host;
    int listen_port;
    char *token_file;

    char *journal;
    int64_t journal_max_bytes;  /* rotate past this size */
    int journal_keep;           /* archives kept */
    int64_t stall_after_ms;     /* 0: max(1 s, 10 frame intervals) */
    int64_t raise_after_ms;
    int64_t clear_after_ms;
    char *mqtt_url, *mqtt_topic;
    char *mqtt_username, *mqtt_password_file;
    char *webhook_url;
    char **exec_argv;
    int n_exec_argv;
    int64_t exec_timeout_ms;     /* at most an hour */
    int flap_count;             /* 0: no flap suppression */
    int systemic_min;           /* 0: no systemic guard */
    double systemic_fraction;
    int64_t flap_window_ms, flap_quiet_ms;

    /* performance: */
    int64_t preroll_ms;         /* decode the next page this early; 0: no */
    double load_budget;         /* share of the machine (cores decoding,
                                 * the render thread, the process) used
                                 * before load is shed */
    bool skip_loop_filter;      /* small tiles skip H.264/HEVC deblocking */
    enum cfg_scaler scaler;     /* how pictures are scaled to their tiles */

    enum cfg_transport default_transport;
    enum cfg_hwaccel default_hwaccel;
    int64_t default_connect_timeout_ms;

    struct cfg_camera *cameras;
    int n_cameras;
    struct layout *layouts;
    int n_layouts;
    struct cfg_plan *plans;
    int n_plans;
    struct cfg_calendar *calendars;
    int n_calendars;
    struct cfg_rule *rules;
    int n_rules;
};

/* Collected error lines ("file:line:column: message"). */
struct cfg_errors {
    char **msgs;
    size_t n, cap;
};

void cfg_errors_add(struct cfg_errors *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cfg_errors_finish(struct cfg_errors *e);

/*
 * Load and validate `path`. Built-in layouts are read from `layouts_dir`
 * (may be NULL). With `text` non-NULL, parse it instead of reading the
 * file (path then only names it in messages). Returns a snapshot with one
 * reference, or NULL with every problem in *errs.
 */
struct config *config_load(const char *path, const char *text,
                           const char *layouts_dir, struct cfg_errors *errs);

/* Where the shipped layouts are (util/datadir.h), looked up once. */
const char *config_layouts_dir(void);

/* config_load() of a file with the shipped layouts, logging every error
 * to log (as "file:line:column: message"). NULL when invalid. */
struct vlog;
struct config *config_load_file(const char *path, struct vlog *log);

struct config *config_ref(struct config *c);
void config_unref(struct config *c);

int config_find_camera(const struct config *c, const char *id);
int config_find_layout(const struct config *c, const char *name);
int config_find_screen(const struct config *c, const char *id);

/* What differs between two configs, key by key ("alerts.raise_after",
 * "cameras[gate-n].connect_timeout"), and whether each change needs a
 * restart (the rest apply live). */
struct cfg_diff_key {
    char key[128];
    bool restart;
};

struct cfg_diff {
    int n, n_restart;
    struct cfg_diff_key *keys;
};

void config_diff(const struct config *a, const struct config *b,
                 struct cfg_diff *out);
void cfg_diff_finish(struct cfg_diff *d);

/* Every key of the config in Markdown (docs/configuration.md), from the
 * option tables. */
void config_reference(FILE *out);
/* The same as the man page vigil.yaml(5). */
void config_manpage(FILE *out, const char *version);

/* The plan the wall runs when no schedule rule with a condition is
 * evaluated: the first rule without `when`, else the first plan. */
int config_default_plan(const struct config *c);

/* Parse "500ms", "2s", "15s", "5m", "1h" (also "1.5s"). Returns false on
 * a malformed value. */
bool config_parse_duration(const char *s, int64_t *out_ms);

#endif
