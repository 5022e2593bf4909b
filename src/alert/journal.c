/*
 * The journal's files (see journal.h): append and sync, rotation into
 * numbered archives, the checkpoint, replay at start and the API's reads.
 * Lines are time-ordered across the archives and the active file, so the
 * reads find their place by binary search on the "ts" of the lines.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alert/journal.h"
#include "util/civil.h"
#include "util/log.h"
#include "util/mem.h"

#define CHUNK 65536

struct journal {
    struct journal_params p;
    char *path, *dir, *base;
    struct vlog *log;
    int fd;
    int64_t size;
    uint64_t ino;
    uint64_t active_seq, oldest_seq;
    void (*on_rotate)(void *ctx);
    void *ctx;
};

static char *archive_name(const char *path, uint64_t seq)
{
    return xasprintf("%s.%06llu", path, (unsigned long long)seq);
}

/* The archives there are: the lowest and highest numbers (0, 0: none). */
static void scan_archives(struct journal *j, uint64_t *lo, uint64_t *hi)
{
    *lo = *hi = 0;
    DIR *d = opendir(j->dir);
    struct dirent *de;
    size_t bl = strlen(j->base);
    while (d && (de = readdir(d))) {
        const char *n = de->d_name;
        char *end;
        if (strncmp(n, j->base, bl) || n[bl] != '.' || !n[bl + 1]) {
            continue;
        }
        unsigned long long seq = strtoull(n + bl + 1, &end, 10);
        if (*end || !seq) {
            continue; /* the index, or someone else's file */
        }
        *lo = !*lo || seq < *lo ? seq : *lo;
        *hi = seq > *hi ? seq : *hi;
    }
    if (d) {
        closedir(d);
    }
}

static int open_active(struct journal *j)
{
    j->fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    struct stat st;
    if (j->fd < 0 || fstat(j->fd, &st) != 0) {
        return -errno;
    }
    j->size = st.st_size;
    j->ino = st.st_ino;
    return 0;
}

struct journal *journal_open(const struct journal_params *p,
                             void (*on_rotate)(void *ctx), void *ctx,
                             struct vlog *log)
{
    struct journal *j = xzalloc(sizeof(*j));
    j->p = *p;
    j->path = xstrdup(p->path);
    const char *slash = strrchr(p->path, '/');
    j->dir = slash ? xasprintf("%.*s", (int)(slash - p->path), p->path)
                   : xstrdup(".");
    j->base = xstrdup(slash ? slash + 1 : p->path);
    j->p.path = j->path;
    j->log = log;
    j->on_rotate = on_rotate;
    j->ctx = ctx;
    int ret = open_active(j);
    if (ret < 0) {
        VLOG_ERR(log, "cannot open journal %s: %s", j->path, strerror(-ret));
        journal_close(j);
        return NULL;
    }
    uint64_t lo, hi;
    scan_archives(j, &lo, &hi);
    j->active_seq = hi + 1;
    j->oldest_seq = lo ? lo : j->active_seq;
    return j;
}

void journal_close(struct journal *j)
{
    if (!j) {
        return;
    }
    if (j->fd >= 0) {
        close(j->fd);
    }
    free(j->path);
    free(j->dir);
    free(j->base);
    free(j);
}

/* The active file becomes archive active_seq; a new one starts. Nothing is
 * lost: the old file is synced and renamed whole, the new one created
 * before anything else is written. */
static void rotate(struct journal *j)
{
    char *to = archive_name(j->path, j->active_seq);
    close(j->fd);
    j->fd = -1;
    if (rename(j->path, to) != 0) {
        VLOG_ERR(j->log, "journal rotation failed: %s", strerror(errno));
    } else {
        j->active_seq++;
    }
    free(to);
    int ret = open_active(j);
    if (ret < 0) {
        VLOG_ERR(j->log, "cannot reopen journal %s: %s", j->path,
                 strerror(-ret));
        return;
    }
    int dfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd); /* the rename and the new file outlive a crash */
        close(dfd);
    }
    while (j->active_seq - j->oldest_seq > (uint64_t)j->p.keep) {
        char *old = archive_name(j->path, j->oldest_seq++);
        unlink(old);
        free(old);
    }
    VLOG_INFO(j->log, "journal rotated: archive %06llu, keeping %d",
              (unsigned long long)(j->active_seq - 1), j->p.keep);
    if (j->on_rotate) {
        j->on_rotate(j->ctx);
    }
}

int journal_append(struct journal *j, const char *line, size_t len)
{
    if (j->fd < 0) {
        return -EBADF;
    }
    char *buf = xmalloc(len + 1);
    memcpy(buf, line, len);
    buf[len] = '\n';
    ssize_t w = write(j->fd, buf, len + 1);
    free(buf);
    if (w != (ssize_t)(len + 1)) {
        int err = w < 0 ? errno : EIO;
        VLOG_ERR(j->log, "journal write failed: %s",
                 w < 0 ? strerror(errno) : "short write");
        return -err;
    }
    j->size += (int64_t)w;
    if (fdatasync(j->fd) != 0) {
        VLOG_ERR(j->log, "journal sync failed: %s", strerror(errno));
        return -errno;
    }
    if (j->p.max_bytes && j->size >= j->p.max_bytes) {
        rotate(j);
    }
    return 0;
}

void journal_rotate_if_full(struct journal *j)
{
    if (j->fd >= 0 && j->p.max_bytes && j->size >= j->p.max_bytes) {
        rotate(j);
    }
}

void journal_checkpoint(struct journal *j, json_t *open, unsigned last_id)
{
    json_t *doc = json_pack("{s:i, s:I, s:I, s:I, s:I, s:O}", "version", 1,
                            "seq", (json_int_t)j->active_seq, "ino",
                            (json_int_t)j->ino, "offset",
                            (json_int_t)j->size, "last_id",
                            (json_int_t)last_id, "open", open);
    char *index = xasprintf("%s.index", j->path);
    char *tmp = xasprintf("%s.index.tmp", j->path);
    int ret = doc ? json_dump_file(doc, tmp, JSON_COMPACT) : -1;
    if (ret == 0) {
        chmod(tmp, 0640);
        ret = rename(tmp, index);
    }
    if (ret != 0) {
        VLOG_WARN(j->log, "cannot write the journal's checkpoint %s", index);
        unlink(tmp);
    }
    json_decref(doc);
    free(index);
    free(tmp);
}

/* Every line of f from its current place to the end. */
static void each_line(FILE *f, void (*fn)(void *, const char *, size_t),
                      void *ctx)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] != '\n') {
            break; /* a line still being written (or cut by a crash) */
        }
        fn(ctx, line, (size_t)n - 1);
    }
    free(line);
}

static FILE *open_seq(const char *path, uint64_t seq, uint64_t active_seq,
                      uint64_t active_ino)
{
    if (seq == active_seq) {
        FILE *f = fopen(path, "re");
        struct stat st;
        if (f && fstat(fileno(f), &st) == 0 && st.st_ino == active_ino) {
            return f;
        }
        if (f) {
            fclose(f); /* rotated meanwhile: it is an archive now */
        }
    }
    char *name = archive_name(path, seq);
    FILE *f = fopen(name, "re");
    free(name);
    return f;
}

json_t *journal_load_checkpoint(struct journal *j, unsigned *last_id,
                                int64_t *offset)
{
    char *index = xasprintf("%s.index", j->path);
    json_error_t err;
    json_t *doc = json_load_file(index, 0, &err), *open = NULL;
    free(index);
    if (json_integer_value(json_object_get(doc, "version")) == 1 &&
        (uint64_t)json_integer_value(json_object_get(doc, "seq")) ==
            j->active_seq &&
        (uint64_t)json_integer_value(json_object_get(doc, "ino")) == j->ino &&
        json_integer_value(json_object_get(doc, "offset")) <= j->size &&
        json_is_array(json_object_get(doc, "open"))) {
        open = json_incref(json_object_get(doc, "open"));
        *last_id = (unsigned)json_integer_value(json_object_get(doc,
                                                                "last_id"));
        *offset = json_integer_value(json_object_get(doc, "offset"));
    }
    json_decref(doc);
    return open;
}

void journal_replay(struct journal *j, bool everything, int64_t offset,
                    void (*fn)(void *ctx, const char *line, size_t len),
                    void *ctx)
{
    for (uint64_t s = j->oldest_seq; everything && s < j->active_seq; s++) {
        FILE *f = open_seq(j->path, s, j->active_seq, j->ino);
        if (f) {
            each_line(f, fn, ctx);
            fclose(f);
        }
    }
    FILE *f = open_seq(j->path, j->active_seq, j->active_seq, j->ino);
    if (f && fseeko(f, everything ? 0 : offset, SEEK_SET) == 0) {
        each_line(f, fn, ctx);
    }
    if (f) {
        fclose(f);
    }
}

/* ---- reading ---- */

void journal_layout(const struct journal *j, struct journal_layout *out)
{
    snprintf(out->path, sizeof(out->path), "%s", j->path);
    out->active_seq = j->active_seq;
    out->oldest_seq = j->oldest_seq;
    out->active_ino = j->ino;
}

int64_t journal_line_ts(const char *line, size_t len)
{
    const char *p = memmem(line, len < 128 ? len : 128, "\"ts\":\"", 6);
    int y, mo, d, h, mi, s, ms = 0, oh = 0, om = 0, n = 0;
    char sign = '+';
    if (!p || sscanf(p + 6, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h,
                     &mi, &s, &n) != 6) {
        return 0;
    }
    p += 6 + n;
    if (*p == '.') {
        ms = atoi(p + 1);
        p += 1 + strspn(p + 1, "0123456789");
    }
    if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) == 2) {
        sign = *p;
    }
    int64_t t = (civil_to_days(y, mo, d) * INT64_C(86400) + h * 3600 +
                 mi * 60 + s) * 1000 + ms;
    int64_t off = ((int64_t)oh * 60 + om) * 60000;
    return sign == '-' ? t + off : t - off;
}

/* The line that starts at or after off (its start, its length); false at
 * the end. */
static bool line_at(FILE *f, int64_t off, int64_t *start, char **line,
                    size_t *cap, ssize_t *len)
{
    if (fseeko(f, off ? off - 1 : 0, SEEK_SET) != 0) {
        return false;
    }
    if (off) {
        int c;
        while ((c = getc(f)) != EOF && c != '\n') {
        }
        if (c == EOF) {
            return false;
        }
    }
    *start = ftello(f);
    *len = getline(line, cap, f);
    return *len > 0 && (*line)[*len - 1] == '\n';
}

/* The first line of f with ts >= since: its offset (the end when none). */
static int64_t find_since(FILE *f, int64_t since)
{
    fseeko(f, 0, SEEK_END);
    int64_t lo = 0, hi = ftello(f), start;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while (hi - lo > 8192) {
        int64_t mid = lo + (hi - lo) / 2;
        if (!line_at(f, mid, &start, &line, &cap, &len) || start >= hi) {
            break;
        }
        if (journal_line_ts(line, (size_t)len) < since) {
            lo = start + len;
        } else {
            hi = start;
        }
    }
    int64_t at = hi;
    for (int64_t off = lo; line_at(f, off, &start, &line, &cap, &len);
         off = start + len) {
        if (start >= at || journal_line_ts(line, (size_t)len) >= since) {
            at = start < at ? start : at;
            break;
        }
    }
    free(line);
    return at;
}

/* The first line's timestamp of a file (0: empty). */
static int64_t first_ts(FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int64_t start, ts = 0;
    if (line_at(f, 0, &start, &line, &cap, &len)) {
        ts = journal_line_ts(line, (size_t)len);
    }
    free(line);
    return ts;
}

/* Forward from pos: up to limit lines. */
static void read_forward(const struct journal_layout *l,
                         struct journal_pos pos, int limit,
                         void (*fn)(void *, const char *, size_t), void *ctx,
                         struct journal_page *page)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int64_t start;
    page->first = page->end = pos;
    for (uint64_t s = pos.seq; s <= l->active_seq; s++) {
        FILE *f = open_seq(l->path, s, l->active_seq, l->active_ino);
        int64_t off = s == pos.seq ? pos.off : 0;
        while (f && line_at(f, off, &start, &line, &cap, &len)) {
            if (page->n == limit) {
                page->more_after = true;
                break;
            }
            if (!page->n) {
                page->first = (struct journal_pos){ s, start };
            }
            fn(ctx, line, (size_t)len - 1);
            page->n++;
            off = start + len;
            page->end = (struct journal_pos){ s, off };
        }
        if (f) {
            fclose(f);
        }
        if (page->more_after) {
            break;
        }
    }
    free(line);
}

/* The last `need` complete lines of f before `end`, newest first, each
 * malloc'd with its start. Returns how many. */
static int tail_lines(FILE *f, int64_t end, int need, char **out,
                      int64_t *starts)
{
    char *acc = NULL; /* the bytes [from, end) */
    size_t len = 0;
    int64_t from = end;
    for (;;) {
        int lines = 0;
        for (size_t i = 0; i < len; i++) {
            lines += acc[i] == '\n';
        }
        if (from == 0 || lines > need) {
            break;
        }
        size_t chunk = from > CHUNK ? CHUNK : (size_t)from;
        char *grown = xmalloc(chunk + len + 1);
        from -= (int64_t)chunk;
        if (fseeko(f, from, SEEK_SET) != 0 ||
            fread(grown, 1, chunk, f) != chunk) {
            free(grown);
            break;
        }
        if (len) {
            memcpy(grown + chunk, acc, len);
        }
        free(acc);
        acc = grown;
        len += chunk;
    }
    int got = 0;
    size_t e = len;
    while (e > 0 && acc[e - 1] != '\n') {
        e--; /* a line still being written */
    }
    while (got < need && e > 0) {
        size_t b = e - 1;
        while (b > 0 && acc[b - 1] != '\n') {
            b--;
        }
        if (b == 0 && from > 0) {
            break; /* it may begin before what was read */
        }
        if (e - 1 > b) {
            out[got] = xmalloc(e - b);
            memcpy(out[got], acc + b, e - 1 - b);
            out[got][e - 1 - b] = 0;
            starts[got++] = from + (int64_t)b;
        }
        e = b;
    }
    free(acc);
    return got;
}

/* Backward from pos: the newest `limit` lines before it, in time order. */
static void read_backward(const struct journal_layout *l,
                          struct journal_pos pos, int limit,
                          void (*fn)(void *, const char *, size_t), void *ctx,
                          struct journal_page *page)
{
    char **lines = xcalloc((size_t)limit + 1, sizeof(char *));
    int64_t *starts = xcalloc((size_t)limit + 1, sizeof(int64_t));
    uint64_t *seqs = xcalloc((size_t)limit + 1, sizeof(uint64_t));
    int got = 0;
    page->end = pos;
    for (uint64_t s = pos.seq; got < limit && s >= l->oldest_seq; s--) {
        FILE *f = open_seq(l->path, s, l->active_seq, l->active_ino);
        if (f) {
            int64_t end = pos.off;
            if (s != pos.seq) {
                fseeko(f, 0, SEEK_END);
                end = ftello(f);
            }
            int k = tail_lines(f, end, limit - got, lines + got,
                               starts + got);
            for (int i = 0; i < k; i++) {
                seqs[got + i] = s;
            }
            got += k;
            fclose(f);
        }
        if (s == 0) {
            break;
        }
    }
    for (int i = got - 1; i >= 0; i--) {
        fn(ctx, lines[i], strlen(lines[i]));
        free(lines[i]);
    }
    page->n = got;
    if (got) {
        page->first = (struct journal_pos){ seqs[got - 1], starts[got - 1] };
        page->more_before = page->first.off > 0 ||
                            page->first.seq > l->oldest_seq;
    } else {
        page->first = pos;
    }
    free(lines);
    free(starts);
    free(seqs);
}

int journal_read(const struct journal_layout *l, const struct journal_query *q,
                 void (*fn)(void *ctx, const char *line, size_t len),
                 void *ctx, struct journal_page *page)
{
    memset(page, 0, sizeof(*page));
    int limit = q->limit > 0 ? q->limit : 1;
    if (q->has_after) {
        read_forward(l, q->after, limit, fn, ctx, page);
        page->more_before = true;
        return 0;
    }
    if (q->since_ms != INT64_MIN) {
        /* the newest file that starts at or before since, then the first
         * line of it (or a later one) at or after since */
        struct journal_pos pos = { l->oldest_seq, 0 };
        for (uint64_t s = l->active_seq; s >= l->oldest_seq; s--) {
            FILE *f = open_seq(l->path, s, l->active_seq, l->active_ino);
            int64_t ts = f ? first_ts(f) : 0;
            if (f && ts && ts <= q->since_ms) {
                pos = (struct journal_pos){ s, find_since(f, q->since_ms) };
                fclose(f);
                break;
            }
            if (f) {
                fclose(f);
            }
            if (s == 0) {
                break;
            }
        }
        read_forward(l, pos, limit, fn, ctx, page);
        page->more_before = pos.off > 0 || pos.seq > l->oldest_seq;
        return 0;
    }
    struct journal_pos end = q->before;
    if (!q->has_before) {
        FILE *f = open_seq(l->path, l->active_seq, l->active_seq,
                           l->active_ino);
        end = (struct journal_pos){ l->active_seq, 0 };
        if (f && fseeko(f, 0, SEEK_END) == 0) {
            end.off = ftello(f);
        }
        if (f) {
            fclose(f);
        }
    }
    read_backward(l, end, limit, fn, ctx, page);
    page->more_after = q->has_before;
    return 0;
}
