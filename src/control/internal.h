/*
 * What the HTTP server (control.c) and the API's wire format (api.c,
 * metrics.c) share. Private to src/control.
 */
#ifndef VIGIL_CONTROL_INTERNAL_H
#define VIGIL_CONTROL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "control/control.h"

struct conn;

/* One parsed request, valid while it is handled. */
struct request {
    int method;                 /* http-parser's HTTP_GET, HTTP_POST... */
    const char *path;           /* not NUL-terminated: plen bytes */
    size_t plen;
    const char *query;          /* "" without one: qlen bytes */
    size_t qlen;
    const char *body;           /* NULL without one */
    size_t body_len;
};

/* ---- control.c: the connection ---- */

/* Answer (takes ownership of body, malloc'd) and close. */
void conn_send(struct conn *c, int status, const char *ctype, void *body,
               size_t len);
/* The same with extra header lines ("Name: value\r\n"...). */
void conn_send_headers(struct conn *c, int status, const char *ctype,
                       const char *headers, void *body, size_t len);
/* A JSON document (consumed) as the answer. */
void conn_send_json(struct conn *c, int status, json_t *doc);
/* {"error": msg, "status": status} */
void conn_send_error(struct conn *c, int status, const char *msg);
/* Keep the connection for the event stream. */
void conn_start_stream(struct conn *c);
/* A token to answer this request later by (control_snapshot_done). */
uint64_t conn_defer(struct conn *c);
struct control *conn_control(struct conn *c);
/* The connection waiting for the answer `token` (NULL: it has gone). */
struct conn *control_deferred(struct control *ctl, uint64_t token);

/* The core's ops and their context. */
const struct control_ops *control_ops_of(const struct control *c,
                                         void **ctx);
/* Send event `name` with data `json` (one line) to every stream. */
void control_broadcast(struct control *c, const char *name,
                       const char *json);

/* Value of `key` in a query string, copied into out (percent-decoded).
 * Returns 1 when present, 0 when absent or too long, -1 when malformed. */
int query_get(const char *q, size_t qlen, const char *key, char *out,
              size_t size);

/* ---- session.c: console sign-in ---- */

#define SESSION_ID_LEN 64 /* hex characters */

struct sessions;
struct vlog;

struct sessions *sessions_create(void);
void sessions_destroy(struct sessions *ss);
/* Whether a Cookie header holds a live session (and mark it used). */
bool sessions_check(struct sessions *ss, const char *cookie, int64_t now_ms);
/* Constant-time string comparison. */
bool session_token_equal(const char *a, const char *b);
/* GET/POST/DELETE /api/session (see session.c). */
void session_route(struct control *ctl, struct conn *c,
                   const struct request *rq, const char *token,
                   struct sessions *ss, const char *cookie, struct vlog *log);

/* ---- api.c: routes and JSON ---- */

/* Handle an authorized request under /api/ or /metrics. Returns 0 when
 * it was one of those routes (answered), -ENOENT when it is not (a
 * static file, perhaps). */
int api_handle(struct control *ctl, struct conn *c, const struct request *rq);

json_t *api_camera_json(const struct ctl_camera *cam);
json_t *api_screen_json(const struct vtz *tz, const struct ctl_screen *s);
/* RFC 3339 with milliseconds in zone tz; null for INT64_MAX/MIN. */
json_t *api_time_json(const struct vtz *tz, int64_t ms);
const char *api_state_name(enum ctl_cam_state s);

/* ---- metrics.c ---- */

/* Prometheus exposition of a status (malloc'd). */
char *metrics_text(const struct ctl_status *st);

#endif
