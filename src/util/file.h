/* Small file helpers. */
#ifndef VIGIL_UTIL_FILE_H
#define VIGIL_UTIL_FILE_H

#include <stddef.h>

/* The first line of a file, without its line end (malloc'd), or NULL when
 * the file cannot be read or is empty. Lines over 255 bytes are cut. */
char *file_first_line(const char *path);

/* A secret-holding file that others can read: "mode 0644: readable by
 * all users" (into buf), or NULL when it is private enough (readable by
 * the owner, or by a group the process is in; not by everyone). */
const char *file_exposed(const char *path, char *buf, size_t size);

#endif
