/* Linux calls glibc only declares under _GNU_SOURCE. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>

/* Swaps two paths atomically (renameat2 RENAME_EXCHANGE). Returns 0 or -1 with errno set. */
static inline int labforge_exchange_paths(const char *a, const char *b) {
    return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
}

#include <sys/ioctl.h>

/* KVM_GET_API_VERSION (_IO(0xAE, 0x00)): 12 on every KVM since Linux 2.6.22; -1 with errno for a non-KVM device. */
static inline int labforge_kvm_api_version(int fd) {
    return ioctl(fd, 0xAE00, 0);
}

#include <sched.h>

/* Moves the calling thread into the network namespace open at fd (a /proc/PID/ns/net file). 0 or -1 with errno. */
static inline int labforge_enter_network_namespace(int fd) {
    return setns(fd, CLONE_NEWNET);
}
