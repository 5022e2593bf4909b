/*
 * `vigil ctl`: drives a running wall through its HTTP API, for operators
 * at a shell and for scripts. Every subcommand is one request; the reply
 * is printed (a short summary for `status`, JSON otherwise) and the exit
 * status says whether the wall accepted it.
 *
 *   vigil ctl [--url URL] [--token-file F] COMMAND [ARGS]
 *
 * URL defaults to $VIGIL_URL or http://127.0.0.1:8080; the token comes
 * from --token-file or $VIGIL_TOKEN and is sent as a bearer token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cli/ctl.h"
#include "util/file.h"
#include "util/mem.h"
#include "util/url.h"

struct buf {
    char *data;
    size_t len;
};

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    struct buf *b = ud;
    b->data = xrealloc(b->data, b->len + size * n + 1);
    memcpy(b->data + b->len, p, size * n);
    b->len += size * n;
    b->data[b->len] = 0;
    return size * n;
}

/* One request; returns the HTTP status (0: no answer) and the body. */
static long request(const char *base, const char *token, const char *path,
                    const char *post, struct buf *out)
{
    CURL *c = curl_easy_init();
    if (!c) {
        return 0;
    }
    char *url = xasprintf("%s%s", base, path);
    struct curl_slist *h = curl_slist_append(NULL,
                                             "Content-Type: application/json");
    char *auth = token ? xasprintf("Authorization: Bearer %s", token) : NULL;
    if (auth) {
        h = curl_slist_append(h, auth);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    if (post) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
    }
    long code = 0;
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    } else {
        char shown[512];
        url_redact(base, shown, sizeof(shown)); /* never its credentials */
        fprintf(stderr, "vigil ctl: %s: %s\n", shown, curl_easy_strerror(rc));
    }
    curl_slist_free_all(h);
    free(auth);
    free(url);
    curl_easy_cleanup(c);
    return code;
}

static void print_status(json_t *st)
{
    printf("wall %s  plan %s  (%s)\n",
           json_string_value(json_object_get(st, "wall")),
           json_string_value(json_object_get(st, "plan")),
           json_string_value(json_object_get(st, "time")));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(st, "screens"), i, v)
    {
        printf("screen %-10s %-6s page %lld/%lld:",
               json_string_value(json_object_get(v, "id")),
               json_string_value(json_object_get(v, "layout")) ?: "-",
               json_integer_value(json_object_get(v, "page")) + 1,
               json_integer_value(json_object_get(v, "pages")));
        size_t k;
        json_t *t;
        json_array_foreach(json_object_get(v, "tiles"), k, t)
        {
            printf(" %s", json_string_value(json_object_get(t, "camera"))
                              ?: "-");
        }
        printf("\n");
    }
    json_array_foreach(json_object_get(st, "cameras"), i, v)
    {
        printf("camera %-12s %-10s %5.1f fps  %s\n",
               json_string_value(json_object_get(v, "id")),
               json_string_value(json_object_get(v, "state")),
               json_real_value(json_object_get(v, "fps")),
               json_string_value(json_object_get(v, "reason")));
    }
    json_array_foreach(json_object_get(st, "alerts"), i, v)
    {
        printf("alert  %s %-12s %-12s %s\n",
               json_string_value(json_object_get(v, "alert")),
               json_string_value(json_object_get(v, "camera")) ?: "(wall)",
               json_string_value(json_object_get(v, "condition")),
               json_string_value(json_object_get(v, "state")));
    }
}

static void usage(void)
{
    fputs("usage: vigil ctl [--url URL] [--token-file F] COMMAND [ARGS]\n"
          "  status | alerts [SINCE] | metrics\n"
          "  next [SCREEN] | prev [SCREEN] | page SCREEN N\n"
          "  pause [SECONDS] | resume | schedule\n"
          "  plan NAME|- [SECONDS]\n"
          "  pin SCREEN TILE CAMERA|- [SECONDS]\n"
          "  layout SCREEN NAME|- | fullscreen SCREEN TILE|-\n"
          "  ack ALERT [NOTE] | close ALERT [NOTE]\n"
          "  reload\n",
          stderr);
}

static json_t *str_or_null(const char *s)
{
    return !s || !strcmp(s, "-") ? json_null() : json_string(s);
}

static void set_for(json_t *args, int argc, char **argv, int i)
{
    if (i < argc) {
        json_object_set_new(args, "for_s", json_real(atof(argv[i])));
    }
}

/* The request body for a command; NULL for a bad command line. */
static json_t *build_args(const char *cmd, int argc, char **argv)
{
    json_t *a = json_object();
    const char *user = getenv("USER");
    if ((!strcmp(cmd, "next") || !strcmp(cmd, "prev")) && argc > 0) {
        json_object_set_new(a, "screen", json_string(argv[0]));
    } else if (!strcmp(cmd, "page") && argc == 2) {
        json_object_set_new(a, "screen", json_string(argv[0]));
        json_object_set_new(a, "page", json_integer(atoi(argv[1]) - 1));
    } else if (!strcmp(cmd, "pause")) {
        set_for(a, argc, argv, 0);
    } else if (!strcmp(cmd, "plan") && argc >= 1) {
        json_object_set_new(a, "plan", str_or_null(argv[0]));
        set_for(a, argc, argv, 1);
    } else if (!strcmp(cmd, "pin") && argc >= 3) {
        json_object_set_new(a, "screen", json_string(argv[0]));
        json_object_set_new(a, "tile", json_integer(atoi(argv[1])));
        json_object_set_new(a, "camera", str_or_null(argv[2]));
        set_for(a, argc, argv, 3);
    } else if (!strcmp(cmd, "layout") && argc == 2) {
        json_object_set_new(a, "screen", json_string(argv[0]));
        json_object_set_new(a, "layout", str_or_null(argv[1]));
    } else if (!strcmp(cmd, "fullscreen") && argc == 2) {
        json_object_set_new(a, "screen", json_string(argv[0]));
        json_object_set_new(a, "tile", strcmp(argv[1], "-")
                                           ? json_integer(atoi(argv[1]))
                                           : json_null());
    } else if ((!strcmp(cmd, "ack") || !strcmp(cmd, "close")) && argc >= 1) {
        json_object_set_new(a, "alert", json_string(argv[0]));
        json_object_set_new(a, "by", json_string(user ? user : "ctl"));
        if (argc > 1) {
            json_object_set_new(a, "note", json_string(argv[1]));
        }
    } else if (strcmp(cmd, "resume") && strcmp(cmd, "schedule") &&
               strcmp(cmd, "reload") && strcmp(cmd, "next") &&
               strcmp(cmd, "prev")) {
        json_decref(a);
        return NULL;
    }
    return a;
}

int cli_ctl_main(int argc, char **argv)
{
    const char *url = getenv("VIGIL_URL");
    char *token = getenv("VIGIL_TOKEN") ? xstrdup(getenv("VIGIL_TOKEN"))
                                        : NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        if (!strcmp(argv[i], "--url") && i + 1 < argc) {
            url = argv[++i];
        } else if (!strcmp(argv[i], "--token-file") && i + 1 < argc) {
            free(token);
            if (!(token = file_first_line(argv[++i]))) {
                fprintf(stderr, "vigil ctl: cannot read %s\n", argv[i]);
                return 2;
            }
        } else {
            usage();
            return 2;
        }
    }
    if (i >= argc) {
        usage();
        free(token);
        return 2;
    }
    char *base = xasprintf("%s", url ? url : "http://127.0.0.1:8080");
    size_t bl = strlen(base);
    if (bl && base[bl - 1] == '/') {
        base[bl - 1] = 0;
    }
    const char *cmd = argv[i];
    struct buf out = { 0 };
    long code;
    int ret = 0;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!strcmp(cmd, "status") || !strcmp(cmd, "alerts") ||
        !strcmp(cmd, "metrics")) {
        char *path = !strcmp(cmd, "status")  ? xstrdup("/api/status")
                     : !strcmp(cmd, "metrics") ? xstrdup("/metrics")
                     : i + 1 < argc ? xasprintf("/api/alerts?since=%s",
                                                argv[i + 1])
                                    : xstrdup("/api/alerts");
        code = request(base, token, path, NULL, &out);
        free(path);
        json_error_t err;
        json_t *doc = !strcmp(cmd, "status") && code == 200 && out.data
                          ? json_loads(out.data, 0, &err)
                          : NULL;
        if (doc) {
            print_status(doc);
            json_decref(doc);
        } else if (out.data) {
            fputs(out.data, stdout);
            fputc('\n', stdout);
        }
    } else {
        json_t *args = build_args(cmd, argc - i - 1, argv + i + 1);
        if (!args) {
            usage();
            ret = 2;
            goto done;
        }
        char *body = json_dumps(args, JSON_COMPACT);
        char *path = xasprintf("/api/%s", cmd);
        code = request(base, token, path, body, &out);
        if (out.data) {
            fputs(out.data, code >= 200 && code < 300 ? stdout : stderr);
            fputc('\n', code >= 200 && code < 300 ? stdout : stderr);
        }
        free(path);
        free(body);
        json_decref(args);
    }
    ret = code >= 200 && code < 300 ? 0 : 1;
done:
    free(out.data);
    free(base);
    free(token);
    curl_global_cleanup();
    return ret;
}
