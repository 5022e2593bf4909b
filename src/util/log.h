/*
 * Logging: one sink for the whole process, one named handle per object.
 *
 *     struct vlog *log = vlog_create(parent, "camera/%s", id);
 *     VLOG_WARN(log, "reconnecting in %.1f s", delay);
 *
 * Handles are immutable after creation and may be used from any thread.
 * The sink (stderr or the host's vigil_log_fn) is the only mutable global
 * in Vigil; it is set once by vlog_setup() before threads start.
 */
#ifndef VIGIL_UTIL_LOG_H
#define VIGIL_UTIL_LOG_H

#include <stdint.h>

#include "vigil/vigil.h"

struct vlog;

/* Install the sink and level; also routes FFmpeg's and SDL's logs here.
 * Call before any other thread starts. */
void vlog_setup(enum vigil_log_level level, vigil_log_fn cb, void *cookie);

/* Create a handle named "<fmt>"; parent is unused for the name but keeps
 * the call shape of mpv's mp_log_new. Never returns NULL. */
struct vlog *vlog_create(const struct vlog *parent, const char *fmt, ...)
    VIGIL_PRINTF(2, 3);
void vlog_destroy(struct vlog *log);

/* While on, FFmpeg's messages from this thread are debug at most: for a
 * probe whose failure is an answer, not an error (is there a GPU?). */
void vlog_ffmpeg_quiet(int on);

const char *vlog_name(const struct vlog *log);
int vlog_enabled(const struct vlog *log, enum vigil_log_level level);

void vlog_msg(const struct vlog *log, enum vigil_log_level level,
              const char *fmt, ...) VIGIL_PRINTF(3, 4);

#define VLOG_ERR(log, ...) vlog_msg(log, VIGIL_LOG_ERROR, __VA_ARGS__)
#define VLOG_WARN(log, ...) vlog_msg(log, VIGIL_LOG_WARN, __VA_ARGS__)
#define VLOG_INFO(log, ...) vlog_msg(log, VIGIL_LOG_INFO, __VA_ARGS__)
#define VLOG_DEBUG(log, ...) vlog_msg(log, VIGIL_LOG_DEBUG, __VA_ARGS__)
#define VLOG_TRACE(log, ...) vlog_msg(log, VIGIL_LOG_TRACE, __VA_ARGS__)

/*
 * Rate limiter for repeated errors (reconnect failures): at most `burst`
 * messages per `interval_ns`; the rest are counted and reported in the
 * next allowed message. Pure: time is passed in. Not thread-safe; each
 * owner keeps its own.
 */
struct vlog_ratelimit {
    int64_t interval_ns;
    int burst;
    int64_t window_start;
    int in_window;
    int suppressed;
};

/* Returns 1 if a message may be logged now; *suppressed receives how many
 * were swallowed since the last allowed one. */
int vlog_ratelimit_allow(struct vlog_ratelimit *rl, int64_t now_ns,
                         int *suppressed);

#endif
