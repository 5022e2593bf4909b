/*
 * vigil-floor: the decode floor, for vigil-bench. Each URL is read with
 * libavformat (RTSP over TCP, Vigil's fast probing) and decoded by Vigil's
 * own decoder module (src/decode: the same codec flags and one thread per
 * stream), one thread per stream, and the pictures are thrown away. With
 * --box WxH the decoder also scales each picture to a tile of that size
 * as it does for a software canvas, so the scaler's cost can be told
 * apart from decoding's; --nearest scales by the nearest neighbour
 * (performance.scaler: nearest).
 *
 *     vigil-floor [--box WxH] [--fit letterbox|fill|stretch] [--nearest]
 *                 URL...
 *
 * Once a second it prints a JSON line: {"t": seconds, "frames": [...],
 * "packets": [...]}, counts so far per stream. Runs until stdin closes or
 * a signal.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavformat/avformat.h>

#include "decode/decode.h"
#include "util/log.h"
#include "util/time.h"

struct stream {
    const char *url;
    int box_w, box_h;
    enum layout_fit fit;
    bool nearest;
    pthread_t thread;
    atomic_ulong frames, packets;
};

static atomic_bool stop;

static int interrupted(void *ctx)
{
    (void)ctx;
    return atomic_load(&stop);
}

static void *run(void *arg)
{
    struct stream *s = arg;
    AVFormatContext *fmt = avformat_alloc_context();
    AVDictionary *opts = NULL;
    AVPacket *pkt = av_packet_alloc();
    struct decoder *dec = NULL;
    struct vlog *log = vlog_create(NULL, "floor");
    if (!fmt || !pkt) {
        fprintf(stderr, "vigil-floor: out of memory\n");
        exit(1);
    }
    fmt->interrupt_callback = (AVIOInterruptCB){ interrupted, NULL };
    av_dict_set(&opts, "rtsp_transport", "tcp", 0);
    av_dict_set(&opts, "probesize", "32768", 0);
    av_dict_set(&opts, "analyzeduration", "0", 0);
    int ret = avformat_open_input(&fmt, s->url, NULL, &opts);
    av_dict_free(&opts);
    if (ret >= 0) {
        ret = avformat_find_stream_info(fmt, NULL);
    }
    int vi = ret >= 0 ? av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1,
                                            NULL, 0)
                      : ret;
    struct frame_caps caps = { .formats = FRAME_FMT_YUV420P | FRAME_FMT_NV12,
                               .scales = !s->box_w,
                               .inset = 1 };
    if (vi >= 0) {
        ret = decoder_create(&dec, fmt->streams[vi]->codecpar,
                             DECODER_HW_NONE, 1, &caps, log);
    } else {
        ret = vi;
    }
    if (ret < 0) {
        fprintf(stderr, "vigil-floor: %s: cannot open (%d)\n", s->url, ret);
        exit(1);
    }
    decoder_set_box(dec, s->box_w, s->box_h, s->fit, s->nearest);
    while (!atomic_load(&stop) && av_read_frame(fmt, pkt) >= 0) {
        if (pkt->stream_index == vi) {
            atomic_fetch_add(&s->packets, 1);
            if (decoder_send(dec, pkt) == 0) {
                AVFrame *f;
                while (decoder_receive(dec, &f) == 0) {
                    atomic_fetch_add(&s->frames, 1);
                    av_frame_free(&f);
                }
            }
        }
        av_packet_unref(pkt);
    }
    decoder_destroy(dec);
    av_packet_free(&pkt);
    avformat_close_input(&fmt);
    vlog_destroy(log);
    return NULL;
}

static void *watch_stdin(void *arg)
{
    (void)arg;
    char buf[64];
    while (read(0, buf, sizeof(buf)) > 0) {
    }
    atomic_store(&stop, true);
    return NULL;
}

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stop, true);
}

int main(int argc, char **argv)
{
    int box_w = 0, box_h = 0, first = 1;
    bool nearest = false;
    enum layout_fit fit = LAYOUT_FIT_LETTERBOX;
    while (first < argc && argv[first][0] == '-') {
        if (!strcmp(argv[first], "--box") && first + 1 < argc &&
            sscanf(argv[first + 1], "%dx%d", &box_w, &box_h) == 2) {
            first += 2;
        } else if (!strcmp(argv[first], "--fit") && first + 1 < argc) {
            const char *f = argv[first + 1];
            fit = !strcmp(f, "fill")      ? LAYOUT_FIT_FILL
                  : !strcmp(f, "stretch") ? LAYOUT_FIT_STRETCH
                                          : LAYOUT_FIT_LETTERBOX;
            first += 2;
        } else if (!strcmp(argv[first], "--nearest")) {
            nearest = true;
            first++;
        } else {
            break;
        }
    }
    int n = argc - first;
    if (n <= 0) {
        fprintf(stderr, "usage: vigil-floor [--box WxH] [--fit F] "
                        "[--nearest] URL...\n");
        return 2;
    }
    av_log_set_level(AV_LOG_ERROR);
    avformat_network_init();
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    struct stream *s = calloc((size_t)n, sizeof(*s));
    if (!s) {
        return 1;
    }
    for (int i = 0; i < n; i++) {
        s[i].url = argv[first + i];
        s[i].box_w = box_w;
        s[i].box_h = box_h;
        s[i].fit = fit;
        s[i].nearest = nearest;
        if (pthread_create(&s[i].thread, NULL, run, &s[i]) != 0) {
            fprintf(stderr, "vigil-floor: no thread for %s\n", s[i].url);
            return 1;
        }
    }
    pthread_t in;
    pthread_create(&in, NULL, watch_stdin, NULL);
    pthread_detach(in);
    int64_t t0 = vt_mono_ns();
    while (!atomic_load(&stop)) {
        usleep(1000 * 1000);
        printf("{\"t\": %.3f, \"frames\": [",
               (double)(vt_mono_ns() - t0) / VT_S);
        for (int i = 0; i < n; i++) {
            printf("%s%lu", i ? ", " : "", atomic_load(&s[i].frames));
        }
        printf("], \"packets\": [");
        for (int i = 0; i < n; i++) {
            printf("%s%lu", i ? ", " : "", atomic_load(&s[i].packets));
        }
        printf("]}\n");
        fflush(stdout);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(s[i].thread, NULL);
    }
    free(s);
    avformat_network_deinit();
    return 0;
}
