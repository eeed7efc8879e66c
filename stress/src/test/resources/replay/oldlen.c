/* mremap shrinks with an old length past TASK_SIZE: Linux EINVAL (do_vmi_munmap's range check) */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#define P 4096UL
int main(void) {
    char *a = mmap(0, 64 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(a + 4 * P, 60 * P);
    syscall(SYS_mremap, a, 1UL << 62, 2 * P, 0, 0);                                  /* here: unmaps [a+2P, a+2^62) */
    syscall(SYS_mremap, a, -P, P, 0, 0);                                             /* here: ENOMEM */
    syscall(SYS_mremap, a, 1UL << 63, P, MREMAP_MAYMOVE | MREMAP_FIXED, a + 32 * P); /* here: exception */
    return 0;
}
