/*
 * Snapshots: a request for a screen's picture goes to the renderer, the
 * finished pixels come back on the main thread, are handed to the loop
 * (a locked list and this module's own async handle), encoded to PNG on
 * libuv's pool (CPU work that must not stall the loop) and answered
 * through the reply callback.
 *
 * Threads: snapshots_done on the main thread (the renderer's callback);
 * everything else on the loop thread.
 */
#ifndef VIGIL_CORE_SNAPSHOTS_H
#define VIGIL_CORE_SNAPSHOTS_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct render;
struct snapshots;

/* The answer to request `token`: a PNG (malloc'd, the callee owns it) or
 * NULL when the picture could not be had. Loop thread. */
typedef void (*snapshots_reply_fn)(void *ctx, uint64_t token, uint8_t *png,
                                   size_t len);

struct snapshots *snapshots_create(uv_loop_t *loop, snapshots_reply_fn reply,
                                   void *ctx);
/* Stop answering and close the handle; the object is freed once the
 * encodings in flight have finished. Accepts NULL. Loop thread. */
void snapshots_close(struct snapshots *s);

/* Ask renderer r for screen `screen` as composed next. */
void snapshots_request(struct snapshots *s, struct render *r, int screen,
                       uint64_t token);
/* Requests not answered yet. */
int snapshots_pending(const struct snapshots *s);

/* Main thread: the renderer's finished pixels (RGB24, rows of w*3 bytes,
 * ownership passes here; NULL when the screen had none). */
void snapshots_done(struct snapshots *s, uint64_t token, uint8_t *rgb, int w,
                    int h, int64_t composed_us);

#endif
