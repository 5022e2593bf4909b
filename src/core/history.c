/*
 * The journal read for the API (GET /api/alerts), off the loop thread: a
 * copy of the journal's layout and the query go to libuv's pool, where
 * journal_read finds the lines by binary search and reads them; the page
 * comes back to the loop and to the control API. At most a few reads run
 * at once. Loop thread, but for the read itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"
#include "alert/journal.h"
#include "core/engine_internal.h"
#include "util/mem.h"

#define MAX_READS 4

struct read_job {
    uv_work_t req;
    struct vigil_engine *e;
    uint64_t token;
    struct journal_layout layout;
    struct journal_query q;
    struct journal_page page;
    char **lines;
    int n, cap;
    int ret;
};

static void keep_line(void *ctx, const char *line, size_t len)
{
    struct read_job *j = ctx;
    if (j->n == j->cap) {
        j->cap = j->cap ? j->cap * 2 : 64;
        j->lines = xrealloc(j->lines, sizeof(char *) * (size_t)j->cap);
    }
    char *s = xmalloc(len + 1);
    memcpy(s, line, len);
    s[len] = 0;
    j->lines[j->n++] = s;
}

/* libuv pool thread: file reads only */
static void read_work(uv_work_t *req)
{
    struct read_job *j = req->data;
    j->ret = journal_read(&j->layout, &j->q, keep_line, j, &j->page);
}

static void read_done(uv_work_t *req, int status)
{
    struct read_job *j = req->data;
    struct vigil_engine *e = j->e;
    struct ctl_journal_page page = {
        .n = j->n,
        .lines = j->lines,
        .more_before = j->page.more_before,
        .more_after = j->page.more_after,
        .first_seq = j->page.first.seq,
        .first_off = j->page.first.off,
        .end_seq = j->page.end.seq,
        .end_off = j->page.end.off,
    };
    if (e->control) {
        control_journal_done(e->control, j->token,
                             status == 0 && j->ret == 0 ? &page : NULL);
    }
    for (int i = 0; i < j->n; i++) {
        free(j->lines[i]);
    }
    free(j->lines);
    free(j);
    e->journal_reads--;
}

int engine_journal(void *ctx, const struct ctl_journal_query *q,
                   uint64_t token)
{
    struct vigil_engine *e = ctx;
    if (e->journal_reads >= MAX_READS) {
        return -EBUSY;
    }
    struct read_job *j = xzalloc(sizeof(*j));
    j->e = e;
    j->token = token;
    j->req.data = j;
    alert_bus_journal_layout(e->alerts, &j->layout);
    j->q = (struct journal_query){
        .since_ms = q->since_ms,
        .has_after = q->has_after,
        .has_before = q->has_before,
        .after = { q->after_seq, q->after_off },
        .before = { q->before_seq, q->before_off },
        .limit = q->limit,
    };
    if (uv_queue_work(&e->loop, &j->req, read_work, read_done) != 0) {
        free(j);
        return -EAGAIN;
    }
    e->journal_reads++;
    return 0;
}
