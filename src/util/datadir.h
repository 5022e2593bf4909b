/*
 * Where the data Vigil ships (layouts/, web/, examples/) is found at run
 * time, so that one binary works uninstalled, installed, and installed
 * tree moved elsewhere (a DESTDIR, a relocated prefix).
 */
#ifndef VIGIL_UTIL_DATADIR_H
#define VIGIL_UTIL_DATADIR_H

/* The directory holding `what` ("layouts", "web"), malloc'd: the first
 * of
 *   1. $VIGIL_DATADIR/what (when set, only there),
 *   2. the build tree's own, when the program runs from its build
 *      directory (the build writes vigil-uninstalled.txt beside it,
 *      naming each folder in the source tree),
 *   3. <directory of the program>/../share/vigil/what,
 *   4. the install's datadir (DATADIR/vigil/what),
 * that is a directory; when none is, the last (its absence is then
 * reported by whoever reads it). */
char *datadir_find(const char *what);

#endif
