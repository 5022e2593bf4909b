/*
 * The alert journal as a restart finds it: an active file and its
 * checkpoint (the input, split at a line "@@index@@" when it has one),
 * replayed to restore the open alerts, then read as the API reads it
 * (the newest page, a page back, since a time, after a cursor).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/journal.h"
#include "alert/restore.h"
#include "config/config.h"
#include "fuzz.h"
#include "util/log.h"

static struct config *cfg;

static void count(void *ctx, const char *line, size_t len)
{
    (void)line;
    (void)len;
    (*(int *)ctx)++;
}

/* text with @SEQ@ and @INO@ replaced (malloc'd, NUL-terminated) */
static char *subst(const uint8_t *d, size_t n, const char *seq,
                   const char *ino)
{
    char *out = malloc(n * 4 + 1), *o = out;
    for (size_t i = 0; i < n;) {
        if (n - i >= 5 && !memcmp(d + i, "@SEQ@", 5)) {
            o += sprintf(o, "%s", seq);
            i += 5;
        } else if (n - i >= 5 && !memcmp(d + i, "@INO@", 5)) {
            o += sprintf(o, "%s", ino);
            i += 5;
        } else {
            *o++ = (char)d[i++];
        }
    }
    *o = 0;
    return out;
}

static void read_page(const struct journal_layout *l,
                      struct journal_query q, struct journal_page *page)
{
    int n = 0;
    journal_read(l, &q, count, &n, page);
    if (n != page->n) {
        abort(); /* the page says what it handed out */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    if (!cfg) {
        struct cfg_errors errs = { 0 };
        cfg = config_load(
            "wall.yaml",
            "wall: {screens: [{id: main}]}\n"
            "cameras: [{id: gate-n, url: 'rtsp://127.0.0.1/a'},"
            " {id: gate-s, url: 'rtsp://127.0.0.1/b'}]\n"
            "plans: {p: {screens: {main: [{layout: 2x2, cameras: [gate-n,"
            " gate-s]}]}}}\n",
            LAYOUTS_DIR, &errs);
        cfg_errors_finish(&errs);
        if (!cfg) {
            abort();
        }
    }
    const char *mark = "\n@@index@@\n";
    const uint8_t *split = size >= strlen(mark)
                               ? memmem(data, size, mark, strlen(mark))
                               : NULL;
    size_t jlen = split ? (size_t)(split - data) : size;
    const char *path = fuzz_write("alerts.jsonl", data, jlen);
    char jpath[256];
    strcpy(jpath, path);
    struct vlog *log = vlog_create(NULL, "fuzz");
    struct journal_params p = { jpath, 0, 10 };
    struct journal *j = journal_open(&p, NULL, NULL, log);
    struct journal_layout l;
    if (j) {
        /* the checkpoint names the file it belongs to: @SEQ@ and @INO@
         * stand for this one's, so inputs can reach past that check */
        journal_layout(j, &l);
        char seq[24], ino[24];
        snprintf(seq, sizeof(seq), "%llu", (unsigned long long)l.active_seq);
        snprintf(ino, sizeof(ino), "%llu", (unsigned long long)l.active_ino);
        size_t off = split ? jlen + strlen(mark) : size;
        char *idx = subst(data + off, size - off, seq, ino);
        fuzz_write("alerts.jsonl.index", idx, strlen(idx));
        free(idx);
    }
    if (j) {
        struct alert *open = NULL;
        unsigned last = 0;
        restore_open_alerts(j, cfg, &open, &last);
        free(open);
        struct journal_page page;
        read_page(&l, (struct journal_query){ .since_ms = INT64_MIN,
                                              .limit = 7 }, &page);
        read_page(&l, (struct journal_query){ .since_ms = INT64_MIN,
                                              .has_before = true,
                                              .before = page.first,
                                              .limit = 3 }, &page);
        read_page(&l, (struct journal_query){ .since_ms = 1790000000000LL,
                                              .limit = 5 }, &page);
        read_page(&l, (struct journal_query){ .since_ms = INT64_MIN,
                                              .has_after = true,
                                              .after = page.end,
                                              .limit = 5 }, &page);
        journal_close(j);
    }
    vlog_destroy(log);
    return 0;
}
