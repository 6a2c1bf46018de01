#include <archive.h>
#include <archive_entry.h>

/* AE_IFREG/AE_IFDIR are casts of octal literals and do not import into Swift. */
static const unsigned int LABFORGE_AE_IFREG = 0100000;
static const unsigned int LABFORGE_AE_IFDIR = 0040000;
static const unsigned int LABFORGE_AE_IFLNK = 0120000;
