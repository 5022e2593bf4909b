/*
 * The HTTP control server as a client on the network meets it: a real
 * control instance on loopback (with a token, so sign-in, sessions and
 * 401s are on the path) behind a stand-in core. Each input is sent on a
 * fresh connection; its first byte picks how it is cut up (all at once,
 * or trickled in pieces of 1..15 bytes), then the client half-closes and
 * the loop runs until the server has answered and closed. The server
 * must neither crash nor leak, and always hang up.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "control/control.h"
#include "fuzz.h"
#include "util/time.h"
#include "util/tz.h"

#define TOKEN "fuzz-token-0123456789abcdef"

static uv_loop_t loop;
static struct control *ctl;
static struct vtz *utc;
static struct ctl_status status;

static int st_get(void *ctx, unsigned what, struct ctl_status **out)
{
    (void)ctx;
    (void)what;
    *out = &status;
    return 0;
}

static void st_free(void *ctx, struct ctl_status *st)
{
    (void)ctx;
    (void)st;
}

static int journal(void *ctx, const struct ctl_journal_query *q,
                   uint64_t token)
{
    (void)ctx;
    if (q->limit > 1000 || q->limit < 1) {
        abort(); /* the API bounds it */
    }
    char *line = strdup("{\"ts\":\"2026-12-01T00:00:00.000Z\","
                        "\"event\":\"raised\",\"alert\":\"A-000001\"}");
    struct ctl_journal_page page = { .n = 1, .lines = &line };
    control_journal_done(ctl, token, &page);
    free(line);
    return 0;
}

static int snapshot(void *ctx, const char *screen, uint64_t token)
{
    (void)ctx;
    if (screen && strcmp(screen, "main")) {
        return -ENOENT;
    }
    control_snapshot_done(ctl, token, NULL, 0);
    return 0;
}

static int command(void *ctx, const struct ctl_command *cmd,
                   struct ctl_result *res)
{
    (void)ctx;
    if (cmd->kind == CTL_CMD_RELOAD) {
        ctl_result_add(res, "%s", "alerts.raise_after");
    }
    return 0;
}

static void setup(void)
{
    fuzz_quiet();
    uv_loop_init(&loop);
    utc = vtz_load("UTC");
    status = (struct ctl_status){ .tz = utc, .wall = "fuzz", .plan = "",
                                  .time_ms = 1790000000000LL };
    static const struct control_ops ops = { st_get, st_free, journal,
                                            snapshot, command };
    struct control_params p = { "127.0.0.1", 0, TOKEN, WEB_DIR };
    ctl = control_create(&loop, &p, &ops, NULL);
    if (!ctl) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ctl) {
        setup();
    }
    if (!size) {
        return 0;
    }
    size_t piece = data[0] & 0x0f; /* 0: all at once */
    data++;
    size--;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)control_port(ctl)),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int tries = 0;
    while (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (++tries > 200) {
            perror("connect");
            abort();
        }
        close(fd);
        usleep(1000);
        fd = socket(AF_INET, SOCK_STREAM, 0);
    }
    if (fd < 0) {
        abort();
    }
    size_t sent = 0;
    while (sent < size) {
        size_t n = piece ? piece : size - sent;
        n = n < size - sent ? n : size - sent;
        ssize_t w = send(fd, data + sent, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w <= 0) {
            break; /* the server hung up early, or the buffer is full */
        }
        sent += (size_t)w;
        uv_run(&loop, UV_RUN_NOWAIT);
    }
    shutdown(fd, SHUT_WR);
    /* until the server closes its side (answered, or gave up on us) */
    char buf[4096];
    int64_t until = vt_mono_ns() + 2 * VT_S;
    bool closed = false;
    while (!closed && vt_mono_ns() < until) {
        uv_run(&loop, UV_RUN_NOWAIT);
        ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        closed = r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
        if (r < 0 && !closed) {
            usleep(50);
        }
    }
    /* a reset, not a FIN: after hundreds of thousands of connections a
     * second no TIME_WAIT is left to run out of ports */
    struct linger lg = { 1, 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
    uv_run(&loop, UV_RUN_NOWAIT); /* the server sees the close */
    if (!closed) {
        abort(); /* a connection the server never let go of */
    }
    return 0;
}
