/*
 * Control surface: an HTTP/1.1 server on the libuv loop (http-parser for
 * the protocol, uv_tcp for the transport). It answers from data the core
 * hands it and issues core requests through `struct control_ops`; it never
 * reaches into other modules.
 *
 * Routes: GET /api/status, GET /api/snapshot.png?screen=ID, and
 * POST /api/<command> with a JSON object body, handed to ops.command.
 * Every request is answered and the connection closed (Connection: close);
 * requests over 16 KiB or idle for 10 s are cut off.
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
    /* Status document (new reference). */
    json_t *(*status)(void *ctx);
    /* Start a snapshot of screen `screen_id` (NULL: the first screen).
     * Return 0 and answer later with control_reply(token...), or a
     * negative error (-ENOENT: no such screen). */
    int (*snapshot)(void *ctx, const char *screen_id, uint64_t token);
    /* Run core command `name` with its JSON arguments (an object, maybe
     * empty). Returns an HTTP status and sets *reply (new reference, or
     * NULL for {"ok": true}). Unknown commands: 404. */
    int (*command)(void *ctx, const char *name, json_t *args,
                   json_t **reply);
    /* GET /api/<name>?<query>: a document (new reference) and *status. */
    json_t *(*get)(void *ctx, const char *name, const char *query,
                   int *status);
};

struct control *control_create(uv_loop_t *loop, const char *host, int port,
                               const struct control_ops *ops, void *ctx);
void control_destroy(struct control *c);

/* The port actually bound (useful with port 0). */
int control_port(const struct control *c);

/* Answer request `token`; takes ownership of body (malloc'd). A token whose
 * client has gone is ignored. */
void control_reply(struct control *c, uint64_t token, int status,
                   const char *content_type, void *body, size_t len);

#endif
