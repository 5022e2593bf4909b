/*
 * The alert journal's files: one JSON line per event, appended and synced
 * (fdatasync) before any sink hears of the event; rotated by size into
 * numbered archives (JOURNAL.000001, JOURNAL.000002...; the newest `keep`
 * are kept), so a wall that runs for months has bounded files; and a
 * checkpoint (JOURNAL.index: the open alerts and where in the active file
 * they stand), so a restart replays only what came after it, whatever the
 * history. Created 0640.
 *
 * Threads: the journal object is the loop thread's (the alert bus's).
 * journal_read works on a journal_layout copy and only reads files, so it
 * runs on any thread (the API's reads run on libuv's pool).
 */
#ifndef VIGIL_ALERT_JOURNAL_H
#define VIGIL_ALERT_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct journal;
struct vlog;

struct journal_params {
    const char *path;        /* the active file */
    int64_t max_bytes;       /* rotate past this size; 0: never */
    int keep;                /* archives kept */
};

/* Open (creating it 0640) the active file. NULL (logged) on failure.
 * on_rotate(ctx) is called after each rotation: it should write a
 * checkpoint (journal_checkpoint) for the new, empty file. */
struct journal *journal_open(const struct journal_params *p,
                             void (*on_rotate)(void *ctx), void *ctx,
                             struct vlog *log);
/* Accepts NULL. */
void journal_close(struct journal *j);

/* Append one line (JSON text, no newline) and sync it; rotate when the
 * file has grown past its size. Returns 0 or a negative errno. */
int journal_append(struct journal *j, const char *line, size_t len);

/* Rotate now if the active file is past its size already (a journal from
 * before rotation, or a smaller max_bytes). */
void journal_rotate_if_full(struct journal *j);

/* The checkpoint: the open alerts (a JSON array, the bus's format) and the
 * last alert id, valid for the active file up to its current end. Written
 * atomically (a temporary file renamed over the old). */
void journal_checkpoint(struct journal *j, json_t *open, unsigned last_id);

/* What a restart starts from: the checkpoint's open alerts (a new
 * reference), its last id and its place in the active file; NULL when
 * there is none that matches the active file. */
json_t *journal_load_checkpoint(struct journal *j, unsigned *last_id,
                                int64_t *offset);

/* Every line, in order, to fn: of the active file from `offset`, or with
 * `everything`, of every archive and the active file from their start.
 * Linear in what it reads. */
void journal_replay(struct journal *j, bool everything, int64_t offset,
                    void (*fn)(void *ctx, const char *line, size_t len),
                    void *ctx);

/* ---- reading for the API ---- */

/* Which files there are, as of now: copied so a pool thread can read. */
struct journal_layout {
    char path[1024];
    uint64_t active_seq;     /* the number the active file will have as
                              * an archive */
    uint64_t oldest_seq;     /* the oldest archive kept (== active_seq:
                              * none) */
    uint64_t active_ino;
};

void journal_layout(const struct journal *j, struct journal_layout *out);

/* A place in the journal: an archive number and a byte offset. Written
 * "SEQ.OFFSET" in the API's cursors. */
struct journal_pos {
    uint64_t seq;
    int64_t off;
};

struct journal_query {
    int64_t since_ms;        /* INT64_MIN: none */
    bool has_after, has_before;
    struct journal_pos after, before; /* continue from a cursor */
    int limit;               /* at most this many lines */
};

struct journal_page {
    int n;                   /* lines handed out */
    bool more_before, more_after;
    struct journal_pos first, end; /* first line's place, after the last */
};

/* Read lines for q: with since or after, the oldest first from there;
 * with before, or with nothing, the newest (before it) - in both cases
 * handed to fn in time order. Lines are found by a binary search over
 * their timestamps, not a scan. Returns 0 or a negative errno. Any
 * thread. */
int journal_read(const struct journal_layout *l, const struct journal_query *q,
                 void (*fn)(void *ctx, const char *line, size_t len),
                 void *ctx, struct journal_page *page);

/* RFC 3339 "ts" of a journal line, as ms since the epoch (0: none). */
int64_t journal_line_ts(const char *line, size_t len);

#endif
