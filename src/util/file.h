/* Small file helpers. */
#ifndef VIGIL_UTIL_FILE_H
#define VIGIL_UTIL_FILE_H

/* The first line of a file, without its line end (malloc'd), or NULL when
 * the file cannot be read or is empty. Lines over 255 bytes are cut. */
char *file_first_line(const char *path);

#endif
