/*
 * `vigil --version`: the program's version and the libraries it runs
 * with. A bug report from a wall starts here, so the versions are the ones
 * loaded at run time (a distribution upgrade changes them under the same
 * binary), with the build-time ones where they differ.
 */
#include <stdio.h>

#include <SDL.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libswscale/swscale.h>
#include <libyuv/version.h>
#include <uv.h>

#include "vigil/vigil.h"

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "unknown"
#endif

const char *vigil_version(void)
{
    return VIGIL_VERSION;
}

static void lav(FILE *out, const char *name, unsigned run, unsigned built)
{
    fprintf(out, " %s %u.%u.%u", name, AV_VERSION_MAJOR(run),
            AV_VERSION_MINOR(run), AV_VERSION_MICRO(run));
    if (run != built) {
        fprintf(out, " (built with %u.%u.%u)", AV_VERSION_MAJOR(built),
                AV_VERSION_MINOR(built), AV_VERSION_MICRO(built));
    }
}

int vigil_version_print(FILE *out)
{
    fprintf(out, "vigil %s\n", VIGIL_VERSION);
    fprintf(out, "FFmpeg %s:", av_version_info());
    lav(out, "libavformat", avformat_version(), LIBAVFORMAT_VERSION_INT);
    lav(out, "libavcodec", avcodec_version(), LIBAVCODEC_VERSION_INT);
    lav(out, "libavutil", avutil_version(), LIBAVUTIL_VERSION_INT);
    lav(out, "libswscale", swscale_version(), LIBSWSCALE_VERSION_INT);
    fputc('\n', out);
    SDL_version run, built;
    SDL_GetVersion(&run);
    SDL_VERSION(&built);
    fprintf(out, "SDL %u.%u.%u", run.major, run.minor, run.patch);
    if (SDL_VERSIONNUM(run.major, run.minor, run.patch) !=
        SDL_VERSIONNUM(built.major, built.minor, built.patch)) {
        fprintf(out, " (built with %u.%u.%u)", built.major, built.minor,
                built.patch);
    }
    fputc('\n', out);
    fprintf(out, "libuv %s", uv_version_string());
    if (uv_version() != UV_VERSION_HEX) {
        fprintf(out, " (built with %d.%d.%d)", UV_VERSION_MAJOR,
                UV_VERSION_MINOR, UV_VERSION_PATCH);
    }
    fputc('\n', out);
    /* libyuv says its version only at build time */
    fprintf(out, "libyuv %d (at build time)\n", LIBYUV_VERSION);
    return 0;
}
