/*
 * Control surface: an HTTP/1.1 server on the libuv loop (http-parser for
 * the protocol, uv_tcp for the transport). It answers from data the core
 * hands it and issues core requests through `struct control_ops`; it never
 * reaches into other modules.
 *
 * Routes:
 *   GET  /api/status, /api/<name>?query   documents from ops.get
 *   GET  /api/snapshot.png?screen=ID      answered later (render thread)
 *   GET  /api/events                      Server-Sent Events (broadcast)
 *   GET  /metrics                         Prometheus text from ops.metrics
 *   POST /api/<command>                   JSON object body, ops.command
 *   GET  /, /<file>                       the web console's static files
 *
 * With a token set, every request needs "Authorization: Bearer <token>"
 * (or access_token=<token> in the query, for EventSource and <img>);
 * failures get 401 and are logged without the token. Requests are capped
 * at 16 KiB and must arrive within 10 s; at most 256 connections.
 *
 * Thread: the loop thread only.
 */
#ifndef VIGIL_CONTROL_H
#define VIGIL_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

struct control;

struct control_ops {
    /* GET /api/<name>?<query>: a document (new reference) and *status.
     * "status" is /api/status. */
    json_t *(*get)(void *ctx, const char *name, const char *query,
                   int *status);
    /* Start a snapshot of screen `screen_id` (NULL: the first screen).
     * Return 0 and answer later with control_reply(token...), or a
     * negative error (-ENOENT: no such screen). */
    int (*snapshot)(void *ctx, const char *screen_id, uint64_t token);
    /* Run core command `name` with its JSON arguments (an object, maybe
     * empty). Returns an HTTP status and sets *reply (new reference, or
     * NULL for {"ok": true}). Unknown commands: 404. */
    int (*command)(void *ctx, const char *name, json_t *args,
                   json_t **reply);
    /* Prometheus exposition text (malloc'd). */
    char *(*metrics)(void *ctx);
};

struct control_params {
    const char *host;
    int port;
    const char *token;      /* NULL: no authentication */
    const char *web_dir;    /* static files; NULL: none */
};

struct control *control_create(uv_loop_t *loop, const struct control_params *p,
                               const struct control_ops *ops, void *ctx);
void control_destroy(struct control *c);

/* The port actually bound (useful with port 0). */
int control_port(const struct control *c);

/* Answer request `token`; takes ownership of body (malloc'd). A token whose
 * client has gone is ignored. */
void control_reply(struct control *c, uint64_t token, int status,
                   const char *content_type, void *body, size_t len);

/* Send an event to every /api/events client ("event: <name>" plus the
 * JSON as data). A client that cannot keep up is dropped. */
void control_broadcast(struct control *c, const char *name, json_t *data);

/* Whether host is a loopback address (127.0.0.0/8, ::1, localhost). */
int control_is_loopback(const char *host);

#endif
