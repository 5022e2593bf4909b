/*
 * The cameras at run time: each camera's sources (its main stream and its
 * substream), their mailboxes, the copies of their status the loop works
 * from, and the frame rates sampled from their counters. Owns the
 * sources; the reconnect pacer and the decode slots are the engine's,
 * lent to every source.
 *
 * Thread: the loop thread, except cameras_start/stop and the mailboxes
 * (the main thread, around the renderer's life).
 */
#ifndef VIGIL_CORE_CAMERAS_H
#define VIGIL_CORE_CAMERAS_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "frame/caps.h"
#include "source/source.h"

struct cameras;
struct decode_slots;
struct mailbox;
struct render;
struct source_pacer;

/* A camera's counters over both its streams. */
struct cam_counts {
    uint64_t frames, shed_frames, dropped, reconnects, decode_errors, bytes,
        decode_ns, decode_wait_ns;
};

/* Mailboxes for every camera of cfg (no source runs yet). */
struct cameras *cameras_create(const struct config *cfg,
                               struct source_pacer *pacer,
                               struct decode_slots *slots);
/* Stops any source still running. Accepts NULL. */
void cameras_destroy(struct cameras *cs);

/* Per camera: its main stream's mailbox (main) and its substream's (sub,
 * NULL without one), n of each, for the renderer. */
struct mailbox *const *cameras_mailboxes(const struct cameras *cs, bool sub);

/* Start every camera's sources, which deliver to a consumer taking caps;
 * on_status(ctx) is rung (from any thread) on every state change.
 * Returns 0, or -EAGAIN when a worker thread could not start (logged; the
 * cameras that started run). */
int cameras_start(struct cameras *cs, const struct config *cfg,
                  const struct frame_caps *caps, void (*on_status)(void *),
                  void *ctx);
/* Stop every source (their frames wake the renderer: before it goes). */
void cameras_stop(struct cameras *cs);

/* Read every source's status into the loop's copies. */
void cameras_refresh(struct cameras *cs);
/* Camera i's status copies: the main stream's, or the substream's (zero
 * without one). */
const struct source_status *cameras_status(const struct cameras *cs, int i,
                                           bool sub);
bool cameras_has_sub(const struct cameras *cs, int i);
struct cam_counts cameras_counts(const struct cameras *cs, int i);

/* Tell camera i's sources how to decode: stream (0 main, 1 sub) decodes
 * as d says, the other stream not at all. */
void cameras_set_decode(struct cameras *cs, int i, int stream,
                        const struct source_decode *d);
/* A reload: each camera's connect timeout (from the next connect on) and
 * how long its reader may nap while hidden (under the stall budget). */
void cameras_reconfigure(struct cameras *cs, const struct config *cfg);

/* Once a second: each camera's rates over dt_ns (0: the first sample).
 * shown[i] is what the renderer took of camera i so far, stream[i] the
 * stream shown. */
void cameras_sample_rates(struct cameras *cs, int64_t dt_ns,
                          const uint64_t *shown, const int *stream);
/* Rates per second: received on the stream shown, decoded, shown. */
void cameras_rates(const struct cameras *cs, int i, double *in, double *dec,
                   double *out);

#endif
