/* Linux calls glibc only declares under _GNU_SOURCE. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>

/* Swaps two paths atomically (renameat2 RENAME_EXCHANGE). Returns 0 or -1 with errno set. */
static inline int labforge_exchange_paths(const char *a, const char *b) {
    return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}
