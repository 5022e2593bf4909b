/*
 * HTTP control server. Owns the listening socket and its connections.
 * Each connection parses one request with http-parser, dispatches it, and
 * is closed after the response is written. A request answered later (a
 * snapshot, which needs the render thread) is looked up by token when the
 * answer comes; if the client left meanwhile, the answer is dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <http_parser.h>

#include "control/control.h"
#include "util/log.h"
#include "util/mem.h"

#define MAX_REQUEST 16384
#define IDLE_TIMEOUT_MS 10000

struct conn {
    struct control *ctl;
    uv_tcp_t tcp;
    uv_timer_t timer;
    http_parser parser;
    char url[2048];
    size_t url_len;
    char *body;
    size_t body_len;
    size_t received;
    int complete;
    int replied;
    int closing;
    int handles_open;
    uint64_t token;
    struct conn *next;
};

struct control {
    struct vlog *log;
    uv_loop_t *loop;
    uv_tcp_t server;
    int port;
    struct control_ops ops;
    void *ctx;
    http_parser_settings settings;
    struct conn *conns;
    uint64_t next_token;
};

struct write_req {
    uv_write_t req;
    char *head;
    void *body;
    struct conn *conn;
};

static void conn_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    if (--c->handles_open > 0) {
        return;
    }
    struct conn **pp = &c->ctl->conns;
    while (*pp && *pp != c) {
        pp = &(*pp)->next;
    }
    if (*pp) {
        *pp = c->next;
    }
    free(c->body);
    free(c);
}

static void conn_close(struct conn *c)
{
    if (c->closing) {
        return;
    }
    c->closing = 1;
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, conn_closed);
    uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

static void write_done(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;
    conn_close(w->conn);
    free(w->head);
    free(w->body);
    free(w);
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

static void send_response(struct conn *c, int status, const char *ctype,
                          void *body, size_t len)
{
    if (c->replied || c->closing) {
        free(body);
        return;
    }
    c->replied = 1;
    struct write_req *w = xzalloc(sizeof(*w));
    w->conn = c;
    w->body = body;
    w->head = xasprintf("HTTP/1.1 %d %s\r\n"
                        "Content-Type: %s\r\n"
                        "Content-Length: %zu\r\n"
                        "Cache-Control: no-store\r\n"
                        "Connection: close\r\n\r\n",
                        status, reason(status), ctype, len);
    uv_buf_t bufs[2] = { uv_buf_init(w->head, (unsigned)strlen(w->head)),
                         uv_buf_init(body, (unsigned)len) };
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, bufs, body ? 2 : 1,
                 write_done) != 0) {
        free(w->head);
        free(w->body);
        free(w);
        conn_close(c);
    }
}

static void send_json(struct conn *c, int status, json_t *doc)
{
    char *s = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    send_response(c, status, "application/json", s, s ? strlen(s) : 0);
}

static void send_error(struct conn *c, int status, const char *msg)
{
    send_json(c, status, json_pack("{s:s, s:i}", "error", msg, "status",
                                   status));
}

void control_reply(struct control *ctl, uint64_t token, int status,
                   const char *content_type, void *body, size_t len)
{
    for (struct conn *c = ctl->conns; c; c = c->next) {
        if (c->token == token) {
            send_response(c, status, content_type, body, len);
            return;
        }
    }
    free(body);
}

/* Value of `key` in a query string, copied into out (no decoding beyond
 * what IDs need: they are restricted to URL-safe characters). */
static int query_get(const char *q, size_t qlen, const char *key, char *out,
                     size_t size)
{
    size_t kl = strlen(key);
    const char *p = q, *end = q + qlen;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        if ((size_t)(e - p) > kl && !strncmp(p, key, kl) && p[kl] == '=') {
            size_t n = (size_t)(e - p) - kl - 1;
            if (n >= size) {
                return 0;
            }
            memcpy(out, p + kl + 1, n);
            out[n] = 0;
            return 1;
        }
        p = e + 1;
    }
    return 0;
}

static void dispatch(struct conn *c)
{
    struct control *ctl = c->ctl;
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(c->url, c->url_len, 0, &u) != 0 ||
        !(u.field_set & (1 << UF_PATH))) {
        send_error(c, 400, "malformed request target");
        return;
    }
    const char *path = c->url + u.field_data[UF_PATH].off;
    size_t plen = u.field_data[UF_PATH].len;
    const char *q = u.field_set & (1 << UF_QUERY)
                        ? c->url + u.field_data[UF_QUERY].off
                        : "";
    size_t qlen = u.field_set & (1 << UF_QUERY) ? u.field_data[UF_QUERY].len
                                                : 0;
#define ROUTE(s) (plen == strlen(s) && !strncmp(path, s, plen))
    int is_get = c->parser.method == HTTP_GET || c->parser.method == HTTP_HEAD;
    if (ROUTE("/api/status")) {
        if (!is_get) {
            send_error(c, 405, "use GET");
            return;
        }
        send_json(c, 200, ctl->ops.status(ctl->ctx));
    } else if (ROUTE("/api/snapshot.png")) {
        if (!is_get) {
            send_error(c, 405, "use GET");
            return;
        }
        char screen[128];
        int has = query_get(q, qlen, "screen", screen, sizeof(screen));
        c->token = ++ctl->next_token;
        int ret = ctl->ops.snapshot(ctl->ctx, has ? screen : NULL, c->token);
        if (ret == -ENOENT) {
            send_error(c, 404, "no such screen");
        } else if (ret < 0) {
            send_error(c, 503, "snapshot unavailable");
        }
    } else if (plen > 5 && plen < 64 && !strncmp(path, "/api/", 5) &&
               is_get) {
        char name[64], qs[512];
        memcpy(name, path + 5, plen - 5);
        name[plen - 5] = 0;
        snprintf(qs, sizeof(qs), "%.*s", (int)qlen, q);
        int status = 404;
        json_t *doc = ctl->ops.get(ctl->ctx, name, qs, &status);
        if (status >= 400) {
            json_object_set_new(doc, "status", json_integer(status));
        }
        send_json(c, status, doc);
    } else if (plen > 5 && !strncmp(path, "/api/", 5) &&
               c->parser.method == HTTP_POST) {
        char name[64];
        if (plen - 5 >= sizeof(name)) {
            send_error(c, 404, "no such route");
            return;
        }
        memcpy(name, path + 5, plen - 5);
        name[plen - 5] = 0;
        json_error_t jerr;
        json_t *args = c->body_len
                           ? json_loadb(c->body, c->body_len, 0, &jerr)
                           : json_object();
        if (!json_is_object(args)) {
            json_decref(args);
            send_error(c, 400, "the body must be a JSON object");
            return;
        }
        json_t *reply = NULL;
        int status = ctl->ops.command(ctl->ctx, name, args, &reply);
        json_decref(args);
        if (!reply) {
            reply = json_pack("{s:b}", "ok", 1);
        } else if (status >= 400) {
            json_object_set_new(reply, "status", json_integer(status));
        }
        send_json(c, status, reply);
    } else {
        send_error(c, 404, "no such route");
    }
#undef ROUTE
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    struct conn *c = p->data;
    if (c->url_len + len >= sizeof(c->url)) {
        return 1;
    }
    memcpy(c->url + c->url_len, at, len);
    c->url_len += len;
    c->url[c->url_len] = 0;
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct conn *c = p->data;
    if (c->body_len + len > MAX_REQUEST) {
        return 1;
    }
    c->body = xrealloc(c->body, c->body_len + len + 1);
    memcpy(c->body + c->body_len, at, len);
    c->body_len += len;
    c->body[c->body_len] = 0;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    struct conn *c = p->data;
    c->complete = 1;
    http_parser_pause(p, 1); /* one request per connection */
    return 0;
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    buf->base = xmalloc(suggested);
    buf->len = suggested;
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct conn *c = s->data;
    if (n < 0) {
        free(buf->base);
        conn_close(c);
        return;
    }
    if (c->complete || c->closing) {
        free(buf->base);
        return;
    }
    c->received += (size_t)n;
    if (c->received > MAX_REQUEST) {
        free(buf->base);
        uv_read_stop(s);
        send_error(c, 413, "request too large");
        return;
    }
    size_t done = http_parser_execute(&c->parser, &c->ctl->settings,
                                      buf->base, (size_t)n);
    free(buf->base);
    enum http_errno err = HTTP_PARSER_ERRNO(&c->parser);
    if (c->complete) {
        uv_read_stop(s);
        uv_timer_stop(&c->timer);
        dispatch(c);
    } else if (err != HPE_OK || done != (size_t)n) {
        uv_read_stop(s);
        send_error(c, 400, http_errno_description(err));
    }
}

static void idle_timeout(uv_timer_t *t)
{
    struct conn *c = t->data;
    /* A client that trickles bytes or never finishes its request. */
    conn_close(c);
}

static void on_connection(uv_stream_t *server, int status)
{
    struct control *ctl = server->data;
    if (status < 0) {
        return;
    }
    struct conn *c = xzalloc(sizeof(*c));
    c->ctl = ctl;
    uv_tcp_init(ctl->loop, &c->tcp);
    uv_timer_init(ctl->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->handles_open = 2;
    c->next = ctl->conns;
    ctl->conns = c;
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c);
        return;
    }
    uv_timer_start(&c->timer, idle_timeout, IDLE_TIMEOUT_MS, 0);
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

struct control *control_create(uv_loop_t *loop, const char *host, int port,
                               const struct control_ops *ops, void *ctx)
{
    struct control *ctl = xzalloc(sizeof(*ctl));
    ctl->log = vlog_create(NULL, "control");
    ctl->loop = loop;
    ctl->ops = *ops;
    ctl->ctx = ctx;
    http_parser_settings_init(&ctl->settings);
    ctl->settings.on_url = on_url;
    ctl->settings.on_body = on_body;
    ctl->settings.on_message_complete = on_message_complete;

    struct sockaddr_storage addr;
    int ret = strchr(host, ':')
                  ? uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr)
                  : uv_ip4_addr(host, port, (struct sockaddr_in *)&addr);
    uv_tcp_init(loop, &ctl->server);
    ctl->server.data = ctl;
    if (ret == 0) {
        ret = uv_tcp_bind(&ctl->server, (struct sockaddr *)&addr, 0);
    }
    if (ret == 0) {
        ret = uv_listen((uv_stream_t *)&ctl->server, 64, on_connection);
    }
    if (ret != 0) {
        VLOG_ERR(ctl->log, "cannot listen on %s:%d: %s", host, port,
                 uv_strerror(ret));
        uv_close((uv_handle_t *)&ctl->server, NULL);
        uv_run(loop, UV_RUN_NOWAIT);
        vlog_destroy(ctl->log);
        free(ctl);
        return NULL;
    }
    struct sockaddr_storage bound;
    int len = sizeof(bound);
    uv_tcp_getsockname(&ctl->server, (struct sockaddr *)&bound, &len);
    ctl->port = ntohs(bound.ss_family == AF_INET6
                          ? ((struct sockaddr_in6 *)&bound)->sin6_port
                          : ((struct sockaddr_in *)&bound)->sin_port);
    VLOG_INFO(ctl->log, "listening on http://%s:%d/", host, ctl->port);
    return ctl;
}

int control_port(const struct control *c)
{
    return c->port;
}

void control_destroy(struct control *ctl)
{
    if (!ctl) {
        return;
    }
    for (struct conn *c = ctl->conns; c; c = c->next) {
        conn_close(c);
    }
    uv_close((uv_handle_t *)&ctl->server, NULL);
    /* Let the close callbacks run before the memory goes. */
    uv_run(ctl->loop, UV_RUN_NOWAIT);
    vlog_destroy(ctl->log);
    free(ctl);
}
