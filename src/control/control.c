/*
 * HTTP control server. Owns the listening socket and its connections.
 * Each connection parses one request with http-parser and is closed after
 * the response (Connection: close), except event streams, which stay open
 * and receive broadcasts. A request answered later (a snapshot, which
 * needs the render thread) is looked up by token when the answer comes; if
 * the client left meanwhile, the answer is dropped. What a request means
 * (routes, JSON, status codes) is api.c's; this file is the transport,
 * authentication and the web console's static files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <http_parser.h>

#include "control/internal.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

#define MAX_REQUEST 16384
#define MAX_CONNS 256
#define IDLE_TIMEOUT_MS 10000
#define MAX_STREAM_BACKLOG (1 << 20)

struct conn {
    struct control *ctl;
    uv_tcp_t tcp;
    uv_timer_t timer;
    http_parser parser;
    char url[2048];
    size_t url_len;
    char *body;
    size_t body_len;
    char hdr_field[32];
    int hdr_is_auth, hdr_is_cookie;
    char auth[256];
    char cookie[1024];
    size_t received;
    int complete;
    int replied;
    int closing;
    int streaming;       /* /api/events: stays open */
    int handles_open;
    uint64_t reply_id;   /* for answers that come later (snapshots) */
    struct conn *next;
};

struct control {
    struct vlog *log;
    uv_loop_t *loop;
    uv_tcp_t server;
    int port;
    char *token;
    char *web_dir;
    struct control_ops ops;
    void *ctx;
    http_parser_settings settings;
    struct sessions *sessions; /* console sign-ins */
    struct conn *conns;
    int n_conns;
    uint64_t next_token;
};

struct write_req {
    uv_write_t req;
    char *head;
    void *body;
    struct conn *conn;
    int close_after;
};

/* ---- connection lifetime ---- */

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
    c->ctl->n_conns--;
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
    if (w->close_after || status < 0) {
        conn_close(w->conn);
    }
    free(w->head);
    free(w->body);
    free(w);
}

static int write_bufs(struct conn *c, char *head, void *body, size_t len,
                      int close_after)
{
    struct write_req *w = xzalloc(sizeof(*w));
    w->conn = c;
    w->head = head;
    w->body = body;
    w->close_after = close_after;
    uv_buf_t bufs[2] = { uv_buf_init(head, (unsigned)strlen(head)),
                         uv_buf_init(body, (unsigned)len) };
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, bufs, body ? 2 : 1,
                 write_done) != 0) {
        free(w->head);
        free(w->body);
        free(w);
        conn_close(c);
        return -1;
    }
    return 0;
}

/* ---- responses ---- */

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

void conn_send(struct conn *c, int status, const char *ctype, void *body,
               size_t len)
{
    conn_send_headers(c, status, ctype, "", body, len);
}

void conn_send_headers(struct conn *c, int status, const char *ctype,
                       const char *headers, void *body, size_t len)
{
    if (c->replied || c->closing) {
        free(body);
        return;
    }
    c->replied = 1;
    char *head = xasprintf("HTTP/1.1 %d %s\r\n"
                           "Content-Type: %s\r\n"
                           "Content-Length: %zu\r\n"
                           "Cache-Control: no-store\r\n"
                           "X-Content-Type-Options: nosniff\r\n"
                           "%s%s"
                           "Connection: close\r\n\r\n",
                           status, reason(status), ctype, len,
                           status == 401 ? "WWW-Authenticate: Bearer\r\n"
                                         : "",
                           headers);
    write_bufs(c, head, body, len, 1);
}

void conn_send_json(struct conn *c, int status, json_t *doc)
{
    char *s = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    conn_send(c, status, "application/json", s, s ? strlen(s) : 0);
}

void conn_send_error(struct conn *c, int status, const char *msg)
{
    conn_send_json(c, status, json_pack("{s:s, s:i}", "error", msg, "status",
                                        status));
}

uint64_t conn_defer(struct conn *c)
{
    return c->reply_id = ++c->ctl->next_token;
}

struct control *conn_control(struct conn *c)
{
    return c->ctl;
}

const struct control_ops *control_ops_of(const struct control *c,
                                         void **ctx)
{
    *ctx = c->ctx;
    return &c->ops;
}

struct conn *control_deferred(struct control *ctl, uint64_t token)
{
    for (struct conn *c = ctl->conns; c; c = c->next) {
        if (c->reply_id == token && !c->streaming && !c->closing) {
            return c;
        }
    }
    return NULL; /* the client has gone */
}

void control_snapshot_done(struct control *ctl, uint64_t token, uint8_t *png,
                           size_t len)
{
    struct conn *c = control_deferred(ctl, token);
    if (!c) {
        free(png);
    } else if (png) {
        conn_send(c, 200, "image/png", png, len);
    } else {
        conn_send_error(c, 503, "snapshot failed");
    }
}

/* ---- event streams ---- */

void conn_start_stream(struct conn *c)
{
    c->streaming = 1;
    c->replied = 1;
    uv_timer_stop(&c->timer);
    char *head = xstrdup("HTTP/1.1 200 OK\r\n"
                         "Content-Type: text/event-stream\r\n"
                         "Cache-Control: no-store\r\n"
                         "Connection: keep-alive\r\n\r\n"
                         ": vigil event stream\n\n");
    write_bufs(c, head, NULL, 0, 0);
}

void control_broadcast(struct control *ctl, const char *name,
                       const char *json)
{
    for (struct conn *c = ctl->conns; c; c = c->next) {
        if (!c->streaming || c->closing) {
            continue;
        }
        if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) >
            MAX_STREAM_BACKLOG) {
            VLOG_WARN(ctl->log, "event client too slow: dropped");
            conn_close(c);
            continue;
        }
        write_bufs(c, xasprintf("event: %s\ndata: %s\n\n", name, json), NULL,
                   0, 0);
    }
}

/* ---- static files ---- */

static const char *mime_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    static const char *const map[][2] = {
        { ".html", "text/html; charset=utf-8" },
        { ".js", "text/javascript; charset=utf-8" },
        { ".css", "text/css; charset=utf-8" },
        { ".svg", "image/svg+xml" },
        { ".png", "image/png" },
    };
    for (size_t i = 0; dot && i < sizeof(map) / sizeof(map[0]); i++) {
        if (!strcmp(dot, map[i][0])) {
            return map[i][1];
        }
    }
    return "application/octet-stream";
}

/* The web console's files are small and few; read synchronously. Names
 * are [A-Za-z0-9._-] only: no way out of web_dir. */
static void send_file(struct conn *c, const char *name, size_t len)
{
    struct control *ctl = c->ctl;
    char file[64];
    if (!ctl->web_dir || len >= sizeof(file) || !len || name[0] == '.') {
        conn_send_error(c, 404, "no such route");
        return;
    }
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
              ch == '-')) {
            conn_send_error(c, 404, "no such route");
            return;
        }
    }
    memcpy(file, name, len);
    file[len] = 0;
    char *path = xasprintf("%s/%s", ctl->web_dir, file);
    FILE *f = fopen(path, "rb");
    free(path);
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || st.st_size > (1 << 22)) {
        if (f) {
            fclose(f);
        }
        conn_send_error(c, 404, "no such route");
        return;
    }
    char *buf = xmalloc((size_t)st.st_size + 1);
    size_t n = fread(buf, 1, (size_t)st.st_size, f);
    fclose(f);
    conn_send(c, 200, mime_of(file), buf, n);
}

/* ---- requests ---- */

static int hex(char ch)
{
    return ch >= '0' && ch <= '9'   ? ch - '0'
           : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
           : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                    : -1;
}

int query_get(const char *q, size_t qlen, const char *key, char *out,
              size_t size)
{
    size_t kl = strlen(key);
    const char *p = q, *end = q + qlen;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        if ((size_t)(e - p) > kl && !strncmp(p, key, kl) && p[kl] == '=') {
            size_t n = 0;
            for (const char *v = p + kl + 1; v < e; v++) {
                int ch = (unsigned char)*v;
                if (ch == '%') {
                    int hi = v + 2 < e ? hex(v[1]) : -1;
                    int lo = hi >= 0 ? hex(v[2]) : -1;
                    if (lo < 0) {
                        return -1;
                    }
                    ch = hi * 16 + lo;
                    v += 2;
                } else if (ch == '+') {
                    ch = ' ';
                }
                if (n + 1 >= size || !ch) {
                    return -1;
                }
                out[n++] = (char)ch;
            }
            out[n] = 0;
            return 1;
        }
        p = e + 1;
    }
    return 0;
}

/* A bearer token (scripts, vigil ctl) or a console session cookie; the
 * token never comes in a URL. Compared in constant time. */
static int authorized(struct conn *c)
{
    const char *tok = c->ctl->token;
    if (!tok) {
        return 1;
    }
    if (!strncasecmp(c->auth, "Bearer ", 7)) {
        return session_token_equal(c->auth + 7, tok);
    }
    return sessions_check(c->ctl->sessions, c->cookie, vt_wall_ms());
}

static void peer_name(struct conn *c, char *buf, size_t size)
{
    struct sockaddr_storage sa;
    int len = sizeof(sa);
    snprintf(buf, size, "?");
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&sa, &len) == 0) {
        if (sa.ss_family == AF_INET) {
            uv_ip4_name((struct sockaddr_in *)&sa, buf, size);
        } else {
            uv_ip6_name((struct sockaddr_in6 *)&sa, buf, size);
        }
    }
}

static void dispatch(struct conn *c)
{
    struct control *ctl = c->ctl;
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(c->url, c->url_len, 0, &u) != 0 ||
        !(u.field_set & (1 << UF_PATH))) {
        conn_send_error(c, 400, "malformed request target");
        return;
    }
    const char *path = c->url + u.field_data[UF_PATH].off;
    size_t plen = u.field_data[UF_PATH].len;
    const char *q = u.field_set & (1 << UF_QUERY)
                        ? c->url + u.field_data[UF_QUERY].off
                        : "";
    size_t qlen = u.field_set & (1 << UF_QUERY) ? u.field_data[UF_QUERY].len
                                                : 0;
    int method = c->parser.method;
    bool api = (plen >= 5 && !strncmp(path, "/api/", 5)) ||
               (plen == 8 && !strncmp(path, "/metrics", 8));
    struct request rq = { method, path, plen, q, qlen, c->body,
                          c->body_len };
    if (method != HTTP_GET && method != HTTP_POST && method != HTTP_DELETE) {
        conn_send_error(c, 405, "method not allowed"); /* HEAD too */
        return;
    }
    if (plen == 12 && !strncmp(path, "/api/session", 12)) {
        session_route(ctl, c, &rq, ctl->token, ctl->sessions, c->cookie,
                      ctl->log);
        return;
    }
    if (!api) {
        /* the console's files: no secrets in them, and the sign-in form
         * has to load before anyone has signed in */
        if (method != HTTP_GET) {
            conn_send_error(c, 405, "method not allowed");
        } else {
            send_file(c, plen == 1 ? "index.html" : path + 1,
                      plen == 1 ? 10 : plen - 1);
        }
        return;
    }
    if (!authorized(c)) {
        char peer[64];
        peer_name(c, peer, sizeof(peer));
        /* the token is never logged, given or expected */
        VLOG_WARN(ctl->log, "401 for %s %.*s from %s (%s token)",
                  http_method_str(c->parser.method), (int)plen, path, peer,
                  c->auth[0] ? "wrong" : "no");
        conn_send_error(c, 401, "sign in, or send a bearer token");
        return;
    }
    if (api_handle(ctl, c, &rq) < 0) {
        conn_send_error(c, 404, "no such route");
    }
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

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    struct conn *c = p->data;
    snprintf(c->hdr_field, sizeof(c->hdr_field), "%.*s", (int)len, at);
    c->hdr_is_auth = !strcasecmp(c->hdr_field, "Authorization");
    c->hdr_is_cookie = !strcasecmp(c->hdr_field, "Cookie");
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    struct conn *c = p->data;
    char *dst = c->hdr_is_auth ? c->auth : c->hdr_is_cookie ? c->cookie
                                                              : NULL;
    size_t size = c->hdr_is_auth ? sizeof(c->auth) : sizeof(c->cookie);
    if (dst) {
        size_t have = strlen(dst);
        snprintf(dst + have, size - have, "%.*s", (int)len, at);
    }
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
        conn_send_error(c, 413, "request too large");
        return;
    }
    size_t done = http_parser_execute(&c->parser, &c->ctl->settings,
                                      buf->base, (size_t)n);
    free(buf->base);
    enum http_errno err = HTTP_PARSER_ERRNO(&c->parser);
    if (c->complete) {
        uv_timer_stop(&c->timer);
        dispatch(c);
        if (!c->streaming) {
            uv_read_stop(s);
        }
    } else if (err != HPE_OK || done != (size_t)n) {
        uv_read_stop(s);
        conn_send_error(c, 400, http_errno_description(err));
    }
}

static void idle_timeout(uv_timer_t *t)
{
    struct conn *c = t->data;
    /* The whole request must arrive within the timeout: a client that
     * trickles bytes is cut off like one that sends nothing. */
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
    ctl->n_conns++;
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c);
        return;
    }
    if (ctl->n_conns > MAX_CONNS) {
        /* say so, then close: a client can tell busy from broken */
        conn_send_error(c, 503, "too many connections");
        return;
    }
    uv_timer_start(&c->timer, idle_timeout, IDLE_TIMEOUT_MS, 0);
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

int control_is_loopback(const char *host)
{
    return !strncmp(host, "127.", 4) || !strcmp(host, "::1") ||
           !strcmp(host, "localhost");
}

struct control *control_create(uv_loop_t *loop, const struct control_params *p,
                               const struct control_ops *ops, void *ctx)
{
    struct control *ctl = xzalloc(sizeof(*ctl));
    ctl->log = vlog_create(NULL, "control");
    ctl->loop = loop;
    ctl->ops = *ops;
    ctl->ctx = ctx;
    ctl->token = p->token ? xstrdup(p->token) : NULL;
    ctl->sessions = sessions_create();
    ctl->web_dir = p->web_dir ? xstrdup(p->web_dir) : NULL;
    http_parser_settings_init(&ctl->settings);
    ctl->settings.on_url = on_url;
    ctl->settings.on_header_field = on_header_field;
    ctl->settings.on_header_value = on_header_value;
    ctl->settings.on_body = on_body;
    ctl->settings.on_message_complete = on_message_complete;

    struct sockaddr_storage addr;
    int ret = strchr(p->host, ':')
                  ? uv_ip6_addr(p->host, p->port, (struct sockaddr_in6 *)&addr)
                  : uv_ip4_addr(p->host, p->port, (struct sockaddr_in *)&addr);
    uv_tcp_init(loop, &ctl->server);
    ctl->server.data = ctl;
    if (ret == 0) {
        ret = uv_tcp_bind(&ctl->server, (struct sockaddr *)&addr, 0);
    }
    if (ret == 0) {
        ret = uv_listen((uv_stream_t *)&ctl->server, 64, on_connection);
    }
    if (ret != 0) {
        VLOG_ERR(ctl->log, "cannot listen on %s:%d: %s", p->host, p->port,
                 uv_strerror(ret));
        uv_close((uv_handle_t *)&ctl->server, NULL);
        uv_run(loop, UV_RUN_NOWAIT);
        free(ctl->token);
        free(ctl->web_dir);
        sessions_destroy(ctl->sessions);
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
    VLOG_INFO(ctl->log, "listening on http://%s:%d/%s", p->host, ctl->port,
              ctl->token ? " (token required)" : "");
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
    free(ctl->token);
    free(ctl->web_dir);
    sessions_destroy(ctl->sessions);
    vlog_destroy(ctl->log);
    free(ctl);
}
