/*
 * Log sink and named handles. The sink is process-global (the one mutable
 * global Vigil allows, as in dav1d's logger): written once in vlog_setup()
 * before threads start, read-only afterwards. stderr writes are one
 * fprintf per line, which POSIX stdio locks, so lines never interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <SDL.h>
#include <libavutil/log.h>

#include "util/log.h"
#include "util/url.h"
#include "util/mem.h"

struct vlog {
    char name[96];
};

static struct {
    enum vigil_log_level level;
    vigil_log_fn cb;
    void *cookie;
} g_sink = { VIGIL_LOG_INFO, NULL, NULL };

static const struct vlog g_ffmpeg_log = { "ffmpeg" };
static const struct vlog g_sdl_log = { "sdl" };

static void emit(const char *name, enum vigil_log_level level,
                 const char *raw)
{
    char msg[1100];
    url_redact_text(raw, msg, sizeof(msg)); /* at every level */
    static const char *const tags[] = { "error", "warn", "info", "debug",
                                        "trace" };
    if (g_sink.cb) {
        g_sink.cb(g_sink.cookie, level, name, msg);
        return;
    }
    fprintf(stderr, "[%s] %s: %s\n", name, tags[level], msg);
}

static _Thread_local int g_ffmpeg_quiet;

void vlog_ffmpeg_quiet(int on)
{
    g_ffmpeg_quiet = on;
}

static void ffmpeg_cb(void *avcl, int av_level, const char *fmt, va_list va)
{
    enum vigil_log_level level;
    if (g_ffmpeg_quiet && av_level <= AV_LOG_INFO) {
        level = VIGIL_LOG_DEBUG;
    } else if (av_level <= AV_LOG_ERROR) {
        level = VIGIL_LOG_ERROR;
    } else if (av_level <= AV_LOG_WARNING) {
        level = VIGIL_LOG_WARN;
    } else if (av_level <= AV_LOG_INFO) {
        level = VIGIL_LOG_DEBUG;  /* FFmpeg's info is chatty per stream */
    } else {
        level = VIGIL_LOG_TRACE;
    }
    if ((int)level > (int)g_sink.level) {
        return;
    }
    char buf[512];
    vsnprintf(buf, sizeof(buf), fmt, va);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        buf[--n] = 0;
    }
    if (n) {
        emit(g_ffmpeg_log.name, level, buf);
    }
}

static void sdl_cb(void *ud, int category, SDL_LogPriority prio,
                   const char *msg)
{
    enum vigil_log_level level = prio >= SDL_LOG_PRIORITY_ERROR
                                     ? VIGIL_LOG_ERROR
                                 : prio >= SDL_LOG_PRIORITY_WARN
                                     ? VIGIL_LOG_WARN
                                     : VIGIL_LOG_DEBUG;
    if ((int)level <= (int)g_sink.level) {
        emit(g_sdl_log.name, level, msg);
    }
}

void vlog_setup(enum vigil_log_level level, vigil_log_fn cb, void *cookie)
{
    g_sink.level = level;
    g_sink.cb = cb;
    g_sink.cookie = cookie;
    av_log_set_level(level >= VIGIL_LOG_TRACE ? AV_LOG_DEBUG
                     : level >= VIGIL_LOG_DEBUG ? AV_LOG_INFO
                                                : AV_LOG_WARNING);
    av_log_set_callback(ffmpeg_cb);
    SDL_LogSetOutputFunction(sdl_cb, NULL);
}

struct vlog *vlog_create(const struct vlog *parent, const char *fmt, ...)
{
    (void)parent;
    struct vlog *log = xzalloc(sizeof(*log));
    va_list va;
    va_start(va, fmt);
    vsnprintf(log->name, sizeof(log->name), fmt, va);
    va_end(va);
    return log;
}

void vlog_destroy(struct vlog *log)
{
    free(log);
}

const char *vlog_name(const struct vlog *log)
{
    return log ? log->name : "vigil";
}

int vlog_enabled(const struct vlog *log, enum vigil_log_level level)
{
    return (int)level <= (int)g_sink.level;
}

void vlog_msg(const struct vlog *log, enum vigil_log_level level,
              const char *fmt, ...)
{
    if (!vlog_enabled(log, level)) {
        return;
    }
    char buf[1024];
    va_list va;
    va_start(va, fmt);
    vsnprintf(buf, sizeof(buf), fmt, va);
    va_end(va);
    emit(vlog_name(log), level, buf);
}

int vlog_ratelimit_allow(struct vlog_ratelimit *rl, int64_t now_ns,
                         int *suppressed)
{
    if (rl->in_window == 0 || now_ns - rl->window_start >= rl->interval_ns) {
        rl->window_start = now_ns;
        rl->in_window = 0;
    }
    if (rl->in_window < rl->burst) {
        rl->in_window++;
        *suppressed = rl->suppressed;
        rl->suppressed = 0;
        return 1;
    }
    rl->suppressed++;
    *suppressed = 0;
    return 0;
}
