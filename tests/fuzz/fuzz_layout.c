/* A layout file (layouts/NAME.yaml) as the loader reads it from its
 * folder, used by a wall that names it. */
#include <stdlib.h>

#include "config/config.h"
#include "fuzz.h"

static const char wall[] =
    "wall: {screens: [{id: main, size: 640x360}]}\n"
    "cameras: [{id: a, url: 'rtsp://127.0.0.1/a'}, "
    "{id: b, url: 'rtsp://127.0.0.1/b'}]\n"
    "plans: {p: {screens: {main: [{layout: fuzzed, cameras: [a, b]}]}}}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet();
    fuzz_write("fuzzed.yaml", data, size);
    struct cfg_errors errs = { 0 };
    struct config *c = config_load("wall.yaml", wall, fuzz_dir(), &errs);
    config_unref(c);
    cfg_errors_finish(&errs);
    return 0;
}
