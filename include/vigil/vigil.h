/*
 * Vigil: a video-wall engine. Pulls camera feeds (RTSP or any FFmpeg input),
 * decodes them, tiles them onto one or more screens, patrols pages of
 * cameras on a plan, and raises alerts when a feed drops or freezes.
 *
 * The public surface is small: an opaque engine, a settings struct, error
 * codes and a log hook. Everything else (config, layouts, schedule) is
 * described by the configuration file.
 */
#ifndef VIGIL_VIGIL_H
#define VIGIL_VIGIL_H

#include <stdint.h>
#include <stdio.h>

#include "vigil/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Error codes. Functions return 0 on success, a negated errno value
 * (-ENOMEM, -EINVAL, ...) or one of these project codes on failure.
 * X(name, value, message); the enum and vigil_strerror() are generated from
 * this one list.
 */
#define VIGIL_ERRNO_MAP(X)                                                   \
    X(CONFIG, -20001, "invalid configuration")                               \
    X(LAYOUT, -20002, "invalid layout")                                      \
    X(DISPLAY, -20003, "display unavailable")                                \
    X(LISTEN, -20004, "cannot listen on the control address")                \
    X(JOURNAL, -20005, "cannot open the alert journal")                      \
    X(STREAM, -20006, "stream error")                                        \
    X(ABORTED, -20007, "operation aborted")                                  \
    X(EOF, -20008, "end of stream")                                          \
    X(AUTH, -20009, "authentication failed")                                 \
    X(RESTART, -20010, "needs a restart")

enum vigil_error {
#define VIGIL_ERR_ENUM(name, val, msg) VIGIL_E##name = val,
    VIGIL_ERRNO_MAP(VIGIL_ERR_ENUM)
#undef VIGIL_ERR_ENUM
};

/*
 * Describe an error code: a project code, a negated errno, or 0.
 * Returns a static string; never NULL. Thread-safety: safe from any thread.
 */
VIGIL_API const char *vigil_strerror(int err);

/* Log levels, most severe first. */
enum vigil_log_level {
    VIGIL_LOG_ERROR = 0,
    VIGIL_LOG_WARN = 1,
    VIGIL_LOG_INFO = 2,
    VIGIL_LOG_DEBUG = 3,
    VIGIL_LOG_TRACE = 4,
};

/*
 * Log sink. Called from any thread, possibly concurrently; must not call
 * back into Vigil. `name` is the emitting object's handle ("camera/gate-n"),
 * `msg` one line without the trailing newline. Both are valid only during
 * the call.
 */
typedef void (*vigil_log_fn)(void *cookie, enum vigil_log_level level,
                             const char *name, const char *msg);

struct vigil_settings {
    /* Path of the wall configuration (YAML). NULL: the built-in demo
     * configuration. Default: NULL. */
    const char *config_path;
    /* Non-zero: render the wall off-screen (no display needed); the picture
     * is reachable through GET /api/snapshot.png. Default: 0. */
    int headless;
    /* Override control.listen from the config ("127.0.0.1:8080"). NULL
     * keeps the configured value. Default: NULL. */
    const char *listen;
    /* Most verbose level passed to the log sink. Default: VIGIL_LOG_INFO. */
    enum vigil_log_level log_level;
    /* Log sink; NULL writes to stderr. Default: NULL. */
    vigil_log_fn log_cb;
    /* Passed to log_cb. Default: NULL. */
    void *log_cookie;
    /* Reserved for future fields; must be zero. */
    uint8_t reserved[64];
};

/* Fill *s with the defaults written above. */
VIGIL_API void vigil_settings_default(struct vigil_settings *s);

struct vigil_engine;

/*
 * Create an engine: load and validate the configuration (errors are logged
 * as file:line:column: message), open the journal and bind the control
 * address. Nothing is shown and no camera is contacted until
 * vigil_engine_run().
 *
 * Returns 0 and sets *out, or a negative error code and sets *out = NULL.
 * Thread-safety: call from the thread that will call vigil_engine_run().
 */
VIGIL_API int vigil_engine_create(struct vigil_engine **out,
                                  const struct vigil_settings *s);

/*
 * Run the wall until vigil_engine_quit() or SIGINT/SIGTERM. Must be called
 * on the process's main thread (it owns the SDL display). Returns 0 on a
 * clean stop or a negative error code.
 */
VIGIL_API int vigil_engine_run(struct vigil_engine *e);

/* Ask a running engine to stop. Thread-safety: safe from any thread and
 * from a signal handler's deferred context (not the handler itself). */
VIGIL_API void vigil_engine_quit(struct vigil_engine *e);

/* Stop everything and free the engine. Accepts NULL and *e == NULL; clears
 * *e. */
VIGIL_API void vigil_engine_destroy(struct vigil_engine **e);

/*
 * Validate a configuration file without running it. Every error is logged
 * (file:line:column: message). Returns 0 when valid, VIGIL_ECONFIG when
 * not, or a negative errno when the file cannot be read.
 */
VIGIL_API int vigil_config_check(const char *path,
                                 const struct vigil_settings *s);

/*
 * Print the configuration reference to `out`: every key of a wall config
 * with its type, default, whether a change applies on reload or needs a
 * restart, an example and its meaning, in Markdown (docs/configuration.md
 * is this output). Returns 0.
 */
VIGIL_API int vigil_config_reference(FILE *out);

/* The same reference as a man page, vigil.yaml(5), in roff. Returns 0. */
VIGIL_API int vigil_config_manpage(FILE *out);

/* Vigil's version, e.g. "0.1.0". */
VIGIL_API const char *vigil_version(void);

/*
 * Print Vigil's version and the versions of the libraries it runs with
 * (FFmpeg's libraries, SDL, libuv), as linked at run time and, where they
 * differ, as built against. Returns 0.
 */
VIGIL_API int vigil_version_print(FILE *out);

/*
 * Answer "what plays when" for a configuration, without running it.
 * Times are local to wall.timezone, written "YYYY-MM-DD HH:MM[:SS]".
 *
 * With `at`: print the schedule rule that matches, the plan, each screen's
 * page and cameras, and when the next change happens. With `from` and `to`
 * (and at == NULL): print the timeline of plan changes in [from, to), one
 * line per change. Output goes to `out`; errors are logged.
 *
 * Returns 0, VIGIL_ECONFIG for an invalid config, or -EINVAL for a
 * malformed time.
 */
VIGIL_API int vigil_plan_print(const char *config_path, const char *at,
                               const char *from, const char *to, FILE *out,
                               const struct vigil_settings *s);

#ifdef __cplusplus
}
#endif

#endif /* VIGIL_VIGIL_H */
