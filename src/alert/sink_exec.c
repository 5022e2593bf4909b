/*
 * Exec sink: one program run per alert event, straight from argv with
 * uv_spawn (never through a shell, so a camera name like "gate; rm -rf /"
 * is one inert argument). At most MAX_RUNNING at once; the rest wait in
 * order. Each run is killed after its timeout. Loop thread only.
 */
#include <signal.h>
#include <string.h>

#include "alert/lifecycle.h"
#include "alert/sink.h"
#include "util/log.h"
#include "util/mem.h"

#define MAX_RUNNING 4
#define MAX_WAITING 1000

struct job {
    char **argv;
    struct job *next;
};

struct run {
    uv_process_t proc;
    uv_timer_t timer;
    struct exec_sink *sink;
    int closing;
};

struct exec_sink {
    struct alert_sink base;
    struct vlog *log;
    uv_loop_t *loop;
    char **tmpl;
    int argc;
    int timeout_ms;
    int running;
    struct job *head, *tail;
    int waiting;
    int dead;          /* destroyed; freed when the last run closes */
    struct run *runs[MAX_RUNNING];
};

static void exec_free(struct exec_sink *x);

static void free_argv(char **argv)
{
    for (int i = 0; argv && argv[i]; i++) {
        free(argv[i]);
    }
    free(argv);
}

/* Replace every {key} in s by its value. */
static char *substitute(const char *s, const char *const *keys,
                        const char *const *vals, int n)
{
    size_t cap = strlen(s) + 64, len = 0;
    char *out = xmalloc(cap);
    while (*s) {
        int k = -1;
        if (*s == '{') {
            for (int i = 0; i < n; i++) {
                size_t kl = strlen(keys[i]);
                if (!strncmp(s + 1, keys[i], kl) && s[kl + 1] == '}') {
                    k = i;
                    break;
                }
            }
        }
        const char *piece = k >= 0 ? vals[k] : s;
        size_t pl = k >= 0 ? strlen(vals[k]) : 1;
        if (len + pl + 1 > cap) {
            cap = (len + pl + 1) * 2;
            out = xrealloc(out, cap);
        }
        memcpy(out + len, piece, pl);
        len += pl;
        s += k >= 0 ? strlen(keys[k]) + 2 : 1;
    }
    out[len] = 0;
    return out;
}

static void start_next(struct exec_sink *x);

static void run_closed(uv_handle_t *h)
{
    struct run *r = h->data;
    if (--r->closing == 0) {
        struct exec_sink *x = r->sink;
        for (int i = 0; i < MAX_RUNNING; i++) {
            if (x->runs[i] == r) {
                x->runs[i] = NULL;
            }
        }
        free(r);
        x->running--;
        if (x->dead) {
            if (!x->running) {
                exec_free(x);
            }
            return;
        }
        start_next(x);
    }
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
    struct run *r = p->data;
    if (status != 0 || sig) {
        VLOG_WARN(r->sink->log, "program exited with %lld%s",
                  (long long)status, sig ? " (killed)" : "");
    }
    uv_timer_stop(&r->timer);
    r->closing = 2;
    uv_close((uv_handle_t *)&r->proc, run_closed);
    uv_close((uv_handle_t *)&r->timer, run_closed);
}

static void on_timeout(uv_timer_t *t)
{
    struct run *r = t->data;
    VLOG_WARN(r->sink->log, "program ran past %d ms: killing it",
              r->sink->timeout_ms);
    uv_process_kill(&r->proc, SIGKILL);
}

static void start_next(struct exec_sink *x)
{
    while (x->running < MAX_RUNNING && x->head) {
        struct job *j = x->head;
        x->head = j->next;
        if (!x->head) {
            x->tail = NULL;
        }
        x->waiting--;
        struct run *r = xzalloc(sizeof(*r));
        r->sink = x;
        uv_stdio_container_t stdio[3] = {
            { .flags = UV_IGNORE },
            { .flags = UV_INHERIT_FD, .data.fd = 1 },
            { .flags = UV_INHERIT_FD, .data.fd = 2 },
        };
        uv_process_options_t opt = {
            .exit_cb = on_exit_cb,
            .file = j->argv[0],
            .args = j->argv,
            .stdio_count = 3,
            .stdio = stdio,
        };
        r->proc.data = r;
        int ret = uv_spawn(x->loop, &r->proc, &opt);
        if (ret != 0) {
            VLOG_ERR(x->log, "cannot run %s: %s", j->argv[0],
                     uv_strerror(ret));
            r->closing = 1;
            x->running++;
            uv_close((uv_handle_t *)&r->proc, run_closed);
        } else {
            x->running++;
            for (int i = 0; i < MAX_RUNNING; i++) {
                if (!x->runs[i]) {
                    x->runs[i] = r;
                    break;
                }
            }
            uv_timer_init(x->loop, &r->timer);
            r->timer.data = r;
            uv_timer_start(&r->timer, on_timeout, (uint64_t)x->timeout_ms, 0);
        }
        free_argv(j->argv);
        free(j);
    }
}

static void exec_event(struct alert_sink *s, json_t *line,
                       const struct alert *a, const char *event,
                       const char *camera_id,
                       const char *camera_name)
{
    struct exec_sink *x = (struct exec_sink *)s;
    if (!a || !x->argc) {
        return; /* only alert events run the program */
    }
    if (x->waiting >= MAX_WAITING) {
        VLOG_WARN(x->log, "too many runs waiting; dropping one for %s",
                  a->id);
        return;
    }
    static const char *const keys[] = { "camera", "name", "state", "alert",
                                        "condition" };
    const char *vals[] = { camera_id ? camera_id : "",
                           camera_name ? camera_name : "", event, a->id,
                           a->condition };
    struct job *j = xzalloc(sizeof(*j));
    j->argv = xcalloc((size_t)x->argc + 1, sizeof(char *));
    for (int i = 0; i < x->argc; i++) {
        j->argv[i] = substitute(x->tmpl[i], keys, vals, 5);
    }
    if (x->tail) {
        x->tail->next = j;
    } else {
        x->head = j;
    }
    x->tail = j;
    x->waiting++;
    start_next(x);
}

static int exec_pending(struct alert_sink *s)
{
    struct exec_sink *x = (struct exec_sink *)s;
    return x->waiting + x->running;
}

static void exec_free(struct exec_sink *x)
{
    free_argv(x->tmpl);
    vlog_destroy(x->log);
    free(x);
}

static void exec_destroy(struct alert_sink *s)
{
    struct exec_sink *x = (struct exec_sink *)s;
    while (x->head) {
        struct job *j = x->head;
        x->head = j->next;
        free_argv(j->argv);
        free(j);
    }
    x->waiting = 0;
    if (!x->running) {
        exec_free(x);
        return;
    }
    /* Stop what still runs; the sink goes when the last run has closed
     * (the loop runs its close callbacks before it ends). */
    x->dead = 1;
    for (int i = 0; i < MAX_RUNNING; i++) {
        if (x->runs[i] && !x->runs[i]->closing) {
            uv_process_kill(&x->runs[i]->proc, SIGKILL);
        }
    }
}

void sink_exec_set_command(struct alert_sink *s, char *const *argv, int argc,
                           int timeout_ms)
{
    struct exec_sink *x = (struct exec_sink *)s;
    free_argv(x->tmpl);
    x->argc = argc;
    x->tmpl = xcalloc((size_t)argc + 1, sizeof(char *));
    for (int i = 0; i < argc; i++) {
        x->tmpl[i] = xstrdup(argv[i]);
    }
    x->timeout_ms = timeout_ms;
}

int sink_exec_argc(const struct alert_sink *s)
{
    return ((const struct exec_sink *)s)->argc;
}

struct alert_sink *sink_exec_create(uv_loop_t *loop, char *const *argv,
                                    int argc, int timeout_ms)
{
    struct exec_sink *x = xzalloc(sizeof(*x));
    x->base = (struct alert_sink){ .name = "exec", .event = exec_event,
                                   .pending = exec_pending,
                                   .destroy = exec_destroy };
    x->log = vlog_create(NULL, "alert/exec");
    x->loop = loop;
    sink_exec_set_command(&x->base, argv, argc, timeout_ms);
    return &x->base;
}
