/*
 * Layout YAML:
 *     name: big-left        # optional in a file: defaults to the file name
 *     grid: 4x3             # columns x rows
 *     cells:                # optional: [column, row, column span, row span]
 *       - [0, 0, 3, 3]      # omitted: one tile per grid cell, row-major
 * Geometry is checked by layout_validate() (src/layout).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/layouts.h"
#include "config/options.h"
#include "util/mem.h"

static const struct opt layout_opts[] = {
    { "name", OPT_CUSTOM, .type_doc = "text",
      .def_doc = "required; in a file: the file's name",
      .help = "What plans and commands call it.", .example = "big-left" },
    { "grid", OPT_CUSTOM, .type_doc = "COLUMNSxROWS", .def_doc = "required",
      .help = "The grid the tiles are laid on, at most 16x16.",
      .example = "4x3" },
    { "cells", OPT_CUSTOM,
      .type_doc = "list of [column, row, column span, row span]",
      .def_doc = "one tile per grid cell, row-major",
      .help = "The tiles, in the order a page's cameras fill them; inside "
              "the grid, not overlapping.",
      .example = "[[0, 0, 3, 3], [3, 0, 1, 1]]" },
    { NULL },
};

const struct opt_table cfg_layout_table = {
    "layout", "layout ", "layouts[]",
    "A layout, inline in the config or a file layouts/NAME.yaml (shipped "
    "ones are found in the layouts folder).",
    layout_opts, NULL,
};

static bool parse_cell(struct yp *p, struct fy_node *n, struct layout_rect *r)
{
    int v[4];
    if (!yp_is_seq(p, n, "cell") || fy_node_sequence_item_count(n) != 4) {
        yp_error(p, n, "cell: expected [column, row, column span, row span]");
        return false;
    }
    void *it = NULL;
    struct fy_node *x;
    for (int i = 0; (x = fy_node_sequence_iterate(n, &it)); i++) {
        if (!yp_int(p, x, "cell", 0, LAYOUT_MAX_GRID, &v[i])) {
            return false;
        }
    }
    *r = (struct layout_rect){ v[0], v[1], v[2], v[3] };
    return true;
}

static void parse_layout(struct config *c, struct yp *p, struct fy_node *m,
                         const char *default_name)
{
    if (!yp_is_map(p, m, "layout")) {
        return;
    }
    opt_check_keys(p, m, &cfg_layout_table);
    struct layout l = { 0 };
    struct fy_node *v;
    if ((v = yp_get(m, "name"))) {
        const char *s = yp_str(p, v, "layout name");
        l.name = s ? xstrdup(s) : NULL;
    } else if (default_name) {
        l.name = xstrdup(default_name);
    } else {
        yp_error(p, m, "layout: 'name' is required");
    }
    struct fy_node *grid = yp_get(m, "grid");
    if (!grid) {
        yp_error(p, m, "layout: 'grid' is required");
        free(l.name);
        return;
    }
    if (!yp_size(p, grid, "layout grid", &l.cols, &l.rows)) {
        free(l.name);
        return;
    }
    struct fy_node *cells = yp_get(m, "cells");
    bool ok = true;
    if (!cells) {
        if (l.cols <= LAYOUT_MAX_GRID && l.rows <= LAYOUT_MAX_GRID) {
            layout_fill_grid(&l);
        }
    } else if (yp_is_seq(p, cells, "layout cells")) {
        int n = fy_node_sequence_item_count(cells);
        l.cells = xcalloc((size_t)n, sizeof(*l.cells));
        void *it = NULL;
        struct fy_node *cn;
        while ((cn = fy_node_sequence_iterate(cells, &it))) {
            ok &= parse_cell(p, cn, &l.cells[l.n_cells++]);
        }
    } else {
        ok = false;
    }
    char err[160];
    int bad;
    if (ok && (bad = layout_validate(&l, err, sizeof(err))) != -1) {
        struct fy_node *at = grid;
        if (bad >= 0 && cells) {
            at = fy_node_sequence_get_by_index(cells, bad);
        }
        yp_error(p, at, "layout '%s': %s", l.name ? l.name : "?", err);
        ok = false;
    }
    if (!ok || !l.name) {
        layout_finish(&l);
        return;
    }
    c->layouts = xrealloc(c->layouts,
                          sizeof(*c->layouts) * (size_t)(c->n_layouts + 1));
    c->layouts[c->n_layouts++] = l;
}

void layouts_parse_list(struct config *c, struct yp *p, struct fy_node *seq)
{
    if (!yp_is_seq(p, seq, "layouts")) {
        return;
    }
    void *it = NULL;
    struct fy_node *m;
    while ((m = fy_node_sequence_iterate(seq, &it))) {
        parse_layout(c, p, m, NULL);
    }
}

static int is_yaml(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 5 && !strcmp(d->d_name + n - 5, ".yaml");
}

void layouts_load_dir(struct config *c, const char *dir,
                      struct cfg_errors *errs)
{
    struct dirent **list;
    int n = dir ? scandir(dir, &list, is_yaml, alphasort) : -1;
    for (int i = 0; i < n; i++) {
        char *path = xasprintf("%s/%s", dir, list[i]->d_name);
        char *name = xstrdup(list[i]->d_name);
        name[strlen(name) - 5] = 0;
        struct yp p = { .file = path, .errs = errs };
        struct fy_document *doc = yp_parse(&p, NULL);
        if (doc) {
            parse_layout(c, &p, fy_document_root(doc), name);
            fy_document_destroy(doc);
        }
        free(name);
        free(path);
        free(list[i]);
    }
    if (n >= 0) {
        free(list);
    }
}
