#include <stdio.h>
#include <string.h>

#include "core/demo.h"
#include "util/mem.h"

static const char *const names[16] = {
    "North gate", "South gate", "Market east", "Market west",
    "River bank", "Pump station", "Bus depot", "Town hall",
    "Bridge north", "Bridge south", "Car park", "School road",
    "Hospital", "Ring road", "Harbour", "Drone patrol",
};

/* Distinct, saturated colours so each tile is told apart at a glance. */
static const unsigned colours[16] = {
    0xc0392b, 0x27ae60, 0x2980b9, 0x8e44ad, 0xd35400, 0x16a085,
    0xf1c40f, 0x2c3e50, 0xe84393, 0x00b894, 0x6c5ce7, 0xfd79a8,
    0x0984e3, 0xb8860b, 0x008080, 0x7f8c8d,
};

char *demo_config_text(const char *font)
{
    size_t cap = 16384, len = 0;
    char *s = xmalloc(cap);
#define ADD(...) len += (size_t)snprintf(s + len, cap - len, __VA_ARGS__)
    ADD("# Built-in demo wall (vigil with no config file).\n"
        "wall:\n"
        "  name: vigil-demo\n"
        "  fit: letterbox\n"
        "  labels: true\n"
        "  screens:\n"
        "    - {id: main, size: 1920x1080, fullscreen: false}\n"
        "control:\n"
        "  listen: 127.0.0.1:8080\n"
        "alerts:\n"
        "  journal: vigil-demo-alerts.jsonl\n"
        "  stall_after: 1s\n"
        "cameras:\n");
    for (int i = 0; i < 16; i++) {
        /* cam-16 ends after 30 s (lavfi duration): the source reports end
         * of stream, the camera goes down, and reconnects shortly after. */
        ADD("  - id: cam-%02d\n"
            "    name: %s\n"
            "    groups: [all]\n"
            "    url: \"lavfi:color=c=0x%06x:s=640x360:r=15%s,"
            "drawtext=fontfile=%s:text=CAM %02d:fontsize=56:fontcolor=white:"
            "x=(w-tw)/2:y=(h-th)/2-30,"
            "drawtext=fontfile=%s:text=%%{n}:fontsize=32:fontcolor=white:"
            "x=(w-tw)/2:y=(h/2)+40,format=yuv420p\"\n",
            i + 1, names[i], colours[i], i == 15 ? ":d=30" : "", font, i + 1,
            font);
    }
    ADD("plans:\n"
        "  demo:\n"
        "    dwell: 10s\n"
        "    screens:\n"
        "      main:\n"
        "        - layout: 4x4\n"
        "          cameras: group:all\n"
        "        - layout: 1+5\n"
        "          cameras: group:all\n"
        "          pin: {0: cam-16}\n"
        "schedule:\n"
        "  - plan: demo\n");
#undef ADD
    return s;
}
