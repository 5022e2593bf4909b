/*
 * The config's `alerts` section: the journal, the stall and flapping
 * rules, systemic outages and the sinks (MQTT, webhook, exec), with their
 * checks. The rest of the tables are in tables.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/options.h"
#include "util/url.h"

#define OFF(field) offsetof(struct config, field)

/* ---- alerts ---- */

static const struct opt mqtt_opts[] = {
    { "url", OPT_FIELD(struct config, mqtt_url, STR), .flags = OPT_RESTART,
      .help = "The broker: mqtt://HOST[:PORT].",
      .example = "mqtt://127.0.0.1:1883" },
    { "topic", OPT_FIELD(struct config, mqtt_topic, STR),
      .flags = OPT_RESTART,
      .help = "Topic prefix: events on TOPIC/alerts, retained camera "
              "status on TOPIC/camera/ID/status.",
      .example = "vigil/tinglin-ops" },
    { "username", OPT_FIELD(struct config, mqtt_username, STR),
      .flags = OPT_RESTART,
      .help = "User name for the broker (credentials never go in the "
              "URL).",
      .example = "vigil" },
    { "password_file", OPT_FIELD(struct config, mqtt_password_file, PATH),
      .flags = OPT_RESTART,
      .help = "File whose first line is the broker password; relative to "
              "the config's folder.",
      .example = "/etc/vigil/mqtt-password" },
    { NULL },
};

/* mqtt://HOST[:PORT] with nothing else: no credentials (they would be
 * printed), no path. */
static bool valid_broker(const char *url)
{
    struct url_parts u;
    return url_split(url, &u) == 0 && u.scheme_len == 4 &&
           !strncmp(url, "mqtt", 4) && !u.userinfo && u.host_len &&
           (!*u.rest || !strcmp(u.rest, "/"));
}

static bool valid_topic(const char *t)
{
    return *t && !strpbrk(t, "#+") && t[0] != '/' && t[strlen(t) - 1] != '/';
}

static void check_mqtt(struct cfg_ctx *cx, struct fy_node *map, void *base)
{
    struct config *c = base;
    struct fy_node *u = yp_get(map, "url"), *t = yp_get(map, "topic");
    struct url_parts parts;
    if (!u) {
        ERR(cx, map, "alerts.mqtt: 'url' is required");
    } else if (c->mqtt_url && url_split(c->mqtt_url, &parts) == 0 &&
               parts.userinfo) {
        ERR(cx, u, "alerts.mqtt.url: no credentials in the URL (they would "
                   "be shown): use alerts.mqtt.username and password_file");
    } else if (c->mqtt_url && !valid_broker(c->mqtt_url)) {
        char shown[256];
        url_redact(c->mqtt_url, shown, sizeof(shown));
        ERR(cx, u, "alerts.mqtt.url: '%s' is not mqtt://HOST[:PORT]", shown);
    }
    if (!t) {
        ERR(cx, map, "alerts.mqtt: 'topic' is required");
    } else if (c->mqtt_topic && !valid_topic(c->mqtt_topic)) {
        ERR(cx, t, "alerts.mqtt.topic: '%s' must be a topic without "
                   "wildcards or a leading or trailing '/'",
            c->mqtt_topic);
    }
    struct fy_node *pw = yp_get(map, "password_file");
    if (pw && !yp_get(map, "username")) {
        ERR(cx, pw, "alerts.mqtt.password_file: needs a 'username'");
    } else if (pw && c->mqtt_password_file &&
               access(c->mqtt_password_file, R_OK) != 0) {
        ERR(cx, pw, "alerts.mqtt.password_file: cannot read '%s': %s",
            c->mqtt_password_file, strerror(errno));
    }
}

static const struct opt_table mqtt_table = {
    "alerts.mqtt", "alerts.mqtt.", "alerts.mqtt",
    "Alert events to an MQTT broker, at QoS 1, in order, held while the "
    "broker is away.",
    mqtt_opts, check_mqtt,
};

static void check_webhook(struct cfg_ctx *cx, struct fy_node *map,
                          void *base)
{
    struct config *c = base;
    struct url_parts u;
    struct fy_node *v = yp_get(map, "url");
    if (!v) {
        ERR(cx, map, "alerts.webhook: 'url' is required");
    } else if (c->webhook_url &&
               (url_split(c->webhook_url, &u) < 0 ||
                url_kind(c->webhook_url) != URL_HTTP || !u.host_len)) {
        char shown[256];
        url_redact(c->webhook_url, shown, sizeof(shown));
        ERR(cx, v, "alerts.webhook.url: '%s' is not an http(s):// URL",
            shown);
    }
}

static const struct opt webhook_opts[] = {
    { "url", OPT_FIELD(struct config, webhook_url, STR), .flags = OPT_RESTART,
      .help = "Each event's JSON is POSTed here, in order, retried with "
              "back-off.",
      .example = "http://127.0.0.1:9000/vigil-alert" },
    { NULL },
};

static const struct opt_table webhook_table = {
    "alerts.webhook", "alerts.webhook.", "alerts.webhook",
    "Alert events to an HTTP endpoint.", webhook_opts, check_webhook,
};

static const struct opt flap_opts[] = {
    { "count", OPT_FIELD(struct config, flap_count, INT), .min = 0, .max = 1000, .def = "3",
      .help = "This many outages of one camera within `window` fold into "
              "one `flapping` alert (0: never).",
      .example = "5" },
    { "window", OPT_FIELD(struct config, flap_window_ms, DURATION), .def = "10m",
      .help = "How far back outages are counted.", .example = "30m" },
    { "quiet", OPT_FIELD(struct config, flap_quiet_ms, DURATION), .def = "1m",
      .help = "A flapping alert clears after this long without an outage.",
      .example = "5m" },
    { NULL },
};

static const struct opt_table flap_table = {
    "alerts.flap", "alerts.flap.", "alerts.flap",
    "Flap suppression: a camera that keeps dropping is one alert.",
    flap_opts, NULL,
};

static const struct opt systemic_opts[] = {
    { "min", OPT_FIELD(struct config, systemic_min, INT), .min = 0, .max = 100000, .def = "3",
      .help = "At least this many cameras failing at once... (0: never)",
      .example = "5" },
    { "fraction", OPT_FIELD(struct config, systemic_fraction, FRACTION), .def = "0.5",
      .help = "...and at least this share of all cameras: one wall-wide "
              "`systemic` alert instead of one per camera.",
      .example = "0.3" },
    { NULL },
};

static const struct opt_table systemic_table = {
    "alerts.systemic", "alerts.systemic.", "alerts.systemic",
    "The systemic guard: many cameras failing together (a switch, the "
    "network) is one alert.",
    systemic_opts, NULL,
};

static void check_alerts(struct cfg_ctx *cx, struct fy_node *map, void *base)
{
    struct fy_node *v = yp_get(map, "exec");
    if (v && fy_node_get_type(v) == FYNT_SEQUENCE &&
        !fy_node_sequence_item_count(v)) {
        ERR(cx, v, "alerts.exec: the program is missing");
    }
}

static const struct opt alerts_opts[] = {
    { "journal", OPT_FIELD(struct config, journal, PATH), .def = "alerts.jsonl",
      .def_doc = "`alerts.jsonl` beside the config; run by systemd with a "
                 "StateDirectory (the shipped unit: /var/lib/vigil), in it",
      .flags = OPT_RESTART,
      .help = "The alert journal: one JSON line per event, synced before "
              "any sink hears of it; read back at start.",
      .example = "/var/lib/vigil/alerts.jsonl" },
    { "journal_max_size", OPT_FIELD(struct config, journal_max_bytes, BYTES),
      .min = 4096, .max = INT64_C(1) << 40, .def = "16MiB",
      .flags = OPT_RESTART,
      .help = "The journal is rotated when it grows past this: the file "
              "becomes JOURNAL.000001 (and so on), a new one starts, and a "
              "checkpoint of the open alerts lets a restart read only what "
              "came after it.",
      .example = "64MiB" },
    { "journal_keep", OPT_FIELD(struct config, journal_keep, INT), .min = 1,
      .max = 10000, .def = "10", .flags = OPT_RESTART,
      .help = "Rotated journal files kept (the oldest are deleted).",
      .example = "50" },
    { "stall_after", OPT_FIELD(struct config, stall_after_ms, DURATION), .min = 100,
      .def_doc = "10 frame intervals, at least 500ms (1s while the rate is "
                 "unknown)",
      .help = "No decoded picture for this long: the camera is stalled.",
      .example = "1s" },
    { "raise_after", OPT_FIELD(struct config, raise_after_ms, DURATION), .def = "0s",
      .help = "A condition must hold this long before it is raised.",
      .example = "2s" },
    { "clear_after", OPT_FIELD(struct config, clear_after_ms, DURATION), .def = "0s",
      .help = "A condition must be gone this long before its alert clears.",
      .example = "5s" },
    { "mqtt", OPT_SECTION, .sub = &mqtt_table, .flags = OPT_RESTART,
      .help = "See `alerts.mqtt`.", .example = "{url: ..., topic: ...}" },
    { "webhook", OPT_SECTION, .sub = &webhook_table, .flags = OPT_RESTART,
      .help = "See `alerts.webhook`.", .example = "{url: ...}" },
    { "exec", OPT_STRLIST, OFF(exec_argv), OFF(n_exec_argv),
      .help = "A program run for each alert event, without a shell; "
              "`{camera}`, `{name}`, `{state}`, `{alert}` and `{condition}` "
              "in an argument are replaced.",
      .example = "[/usr/local/bin/page, --camera, '{camera}']" },
    { "exec_timeout", OPT_FIELD(struct config, exec_timeout_ms, DURATION), .min = 0,
      .max = 3600000, .def = "10s",
      .help = "A run of `exec` still going after this long is killed.",
      .example = "30s" },
    { "flap", OPT_SECTION, .sub = &flap_table, .help = "See `alerts.flap`.",
      .example = "{count: 5}" },
    { "systemic", OPT_SECTION, .sub = &systemic_table,
      .help = "See `alerts.systemic`.", .example = "{min: 5}" },
    { NULL },
};

const struct opt_table cfg_alerts_table = {
    "alerts", "alerts.", "alerts",
    "How camera conditions become alerts, and where the alerts go.",
    alerts_opts, check_alerts,
};
